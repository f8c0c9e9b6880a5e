"""Real-name verification as accounts sees it: what the verification service
checks (in clear, for it only), and keeping ``real_name_status`` current from the
outcomes it announces."""

from __future__ import annotations

import logging
import uuid

from contracts.errors import NotFound
from contracts.events import Envelope
from contracts.verification import (
    VerificationFailed,
    VerificationPassed,
    VerificationReviewRequested,
)

from accounts import field_rules, personal_data
from accounts.deps import Deps

_log = logging.getLogger(__name__)

VerificationOutcome = (
    VerificationPassed | VerificationFailed | VerificationReviewRequested
)
"""The verification events that move ``real_name_status``."""

OUTCOME_STATUS = {
    VerificationPassed: "passed",
    VerificationFailed: "failed",
    VerificationReviewRequested: "manual_review",
}


def get_verification_subject(deps: Deps, account_id: object) -> dict:
    """What verification checks, in clear (persons: name and document;
    organisations: name, region, code, legal representative's name). For the
    verification service only: never logged, never in an event. Raises
    ``NotFound`` (``account_not_found``)."""
    key = field_rules.account_key(account_id)
    with deps.repo.transaction():
        account = deps.repo.get_account(key)
        if account is None or account.kind not in ("person", "organization"):
            raise NotFound("account_not_found", "No such account.")
        subject = {"account_id": str(key), "account_kind": account.kind}
        if account.kind == "person":
            person = deps.repo.get_person(key)
            subject.update(
                name=person.name,
                identity_region=person.identity_region,
                doc_type=person.doc_type,
                doc_number=deps.cipher.decrypt(
                    person.doc_number_enc, personal_data.DOC_NUMBER
                ),
            )
        else:
            org = deps.repo.get_organization(key)
            legal = deps.repo.get_organization_people(key).get("legal_representative")
            subject.update(
                name=org.name,
                registration_region=org.region,
                credit_code=deps.cipher.decrypt(org.code_enc, personal_data.ORG_CODE),
                legal_representative_name=legal.name if legal else None,
            )
    return subject


def apply_verification_outcome(
    deps: Deps, envelope: Envelope[VerificationOutcome]
) -> bool:
    """Keep ``real_name_status`` current from a verification event.

    A failed outcome with ``final`` (a reviewer's rejection) becomes
    ``rejected``. An outcome older than the account's last data change is stale
    and ignored. True when the status changed. Unknown accounts are ignored
    (logged).
    """
    data = envelope.data
    status = OUTCOME_STATUS[type(data)]
    if isinstance(data, VerificationFailed) and data.final:
        status = "rejected"
    reason = data.reason_code if isinstance(data, VerificationFailed) else None
    occurred_at = envelope.occurred_at
    try:
        key = uuid.UUID(data.account_id)
    except ValueError:
        _log.warning("verification outcome without a valid account id")
        return False
    applied = deps.repo.set_real_name_status(
        key, status, reason, occurred_at, deps.clock()
    )
    if not applied:
        _log.info(
            "verification outcome not applied (unknown account or stale)",
            extra={"account_id": str(key), "event_type": envelope.event_type},
        )
    return applied
