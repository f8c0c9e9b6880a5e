"""Contract of the ``recovery`` service: password resets and appeals.

``RecoveryClient`` (``client``) is the contract: one method per RPC, its models
(``models``) in and out; ``events`` holds the event models it emits.
"""

from contracts.recovery.client import RecoveryClient
from contracts.recovery.events import (
    AppealApproved,
    AppealRejected,
    AppealSubmitted,
    PasswordResetCompleted,
)
from contracts.recovery.models import (
    APPEAL_ID_PREFIX,
    APPEAL_STATUSES,
    MAX_APPEAL_FILE_BYTES,
    ORGANIZATION_APPEAL_FILES,
    PERSON_APPEAL_FILES,
    RESET_ID_PREFIX,
    AppealCandidate,
    AppealReviewCase,
    AppealStatus,
    AppealTicket,
    DecidedAppeal,
    OrganizationAppeal,
    OrganizationLookup,
    OrganizationLookupRequest,
    PasswordResetCompletion,
    PasswordResetPhone,
    PasswordResetStart,
    PersonAppeal,
    ResetCodeSent,
    ResetStarted,
)

__all__ = [
    "APPEAL_ID_PREFIX",
    "APPEAL_STATUSES",
    "MAX_APPEAL_FILE_BYTES",
    "ORGANIZATION_APPEAL_FILES",
    "PERSON_APPEAL_FILES",
    "RESET_ID_PREFIX",
    "AppealApproved",
    "AppealCandidate",
    "AppealRejected",
    "AppealReviewCase",
    "AppealStatus",
    "AppealSubmitted",
    "AppealTicket",
    "DecidedAppeal",
    "OrganizationAppeal",
    "OrganizationLookup",
    "OrganizationLookupRequest",
    "PasswordResetCompleted",
    "PasswordResetCompletion",
    "PasswordResetPhone",
    "PasswordResetStart",
    "PersonAppeal",
    "RecoveryClient",
    "ResetCodeSent",
    "ResetStarted",
]
