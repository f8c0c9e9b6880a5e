"""The words the reviewer console shows for the review queue's published names
(case kinds, states, an appeal's differences and claimed fields), as English
msgids translated where they are shown."""

from __future__ import annotations

from gateway.i18n import N_

FILTER = {
    "waiting": N_("Waiting for a decision"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "superseded": N_("Superseded by a newer case"),
}
KIND = {"verification": N_("Real-name verification"), "appeal": N_("Appeal")}
ACCOUNT_KIND = {"person": N_("Natural person"), "organization": N_("Organisation")}
STATUS = {
    "pending": N_("Being verified"),
    "failed": N_("Verification failed"),
    "manual_review": N_("Waiting for a decision"),
    "submitted": N_("Waiting for a decision"),
    "passed": N_("Approved"),
    "approved": N_("Approved, the account is being recovered"),
    "recovered": N_("Approved, the temporary password was sent"),
    "rejected": N_("Rejected"),
    "superseded": N_("Superseded by a newer case"),
}
DIFFERENCE = {
    "name": N_("The name differs from the account's"),
    "no_matching_account": N_("No account matches the appeal: it can only be rejected"),
    "several_candidates": N_(
        "Several accounts could be meant: choose the one to recover to approve"
    ),
    "credit_code": N_("Another credit code"),
    "registration_number": N_("Another registration number"),
    "unit_name": N_("Another organisation name"),
    "candidates_truncated": N_("More organisations match than are listed"),
    "unit_code_not_given": N_("The appeal gave no code of the organisation"),
}
# an appeal's ``claimed`` fields, in the order shown
CLAIMED = {
    "name": N_("Name"),
    "unit_name": N_("Organisation name"),
    "credit_code": N_("Unified social credit code"),
    "registration_number": N_("Registration number"),
    "identity_region": N_("Identity type"),
    "doc_type": N_("Document type"),
    "doc_number": N_("Document number"),
    "phone": N_("Mobile number (proven by an SMS code)"),
}
DECISION = {"approve": N_("Approve"), "reject": N_("Reject")}
CODE_KIND = {
    "credit_code": N_("Unified social credit code"),
    "registration_number": N_("Registration number"),
}
