"""The words a page shows for the platform's published names (English msgids,
translated where they are shown). The names themselves come from contracts."""

from __future__ import annotations

from contracts.accounts import (
    DOC_TYPES_BY_REGION,
    IDENTITY_REGIONS,
    LEGAL_PERSON_TYPES,
    ORGANIZATION_REGIONS,
)

from gateway.i18n import N_

IDENTITY_REGION = {
    "mainland": N_("Mainland China"),
    "hmt": N_("Hong Kong, Macao or Taiwan"),
    "other": N_("Other"),
}
DOC_TYPE = {
    "resident_id": N_("Resident identity card"),
    "hk_macau_permit": N_("Mainland travel permit for Hong Kong and Macao residents"),
    "taiwan_permit": N_("Mainland travel permit for Taiwan residents"),
    "hmt_residence_permit": N_(
        "Residence permit for Hong Kong, Macao and Taiwan residents"
    ),
    "passport": N_("Passport"),
    "foreign_permanent_residence": N_("Foreign permanent resident ID card"),
}
REAL_NAME_STATUS = {
    "unverified": N_("Not verified"),
    "pending": N_("Being verified"),
    "passed": N_("Verified"),
    "failed": N_("Verification failed"),
    "manual_review": N_("Waiting for a manual review"),
    "rejected": N_("Rejected by the reviewer"),
}
ORGANIZATION_REGION = {
    "domestic": N_("Domestic organisation"),
    "hmt": N_("Hong Kong, Macao or Taiwan organisation"),
    "overseas": N_("Overseas organisation"),
}
LEGAL_PERSON_TYPE = {
    "enterprise": N_("Enterprise legal person"),
    "social_org": N_("Social organisation legal person"),
    "institution": N_("Government body or public institution"),
    "other": N_("Other"),
}
STRENGTH = {"weak": N_("Weak"), "medium": N_("Medium"), "strong": N_("Strong")}
GENDER = {"male": N_("Male"), "female": N_("Female")}

REGIONS = IDENTITY_REGIONS
ORGANIZATION_REGIONS = ORGANIZATION_REGIONS
LEGAL_PERSON_TYPES = LEGAL_PERSON_TYPES
DOC_TYPES = DOC_TYPES_BY_REGION
MATERIALS = {
    "id_front": N_("Identity document, front side"),
    "id_back": N_("Identity document, back side"),
    "licence": N_("Business licence"),
}
