"""Contract of the ``recovery`` service: password resets and appeals.

``RecoveryClient`` (``client``) is the contract: one method per RPC, its models
(``resets``, ``appeals``, ``appeal_review``) in and out; ``events`` holds the event
models it emits.
"""

from contracts.recovery.appeal_review import (
    AppealCandidate,
    AppealReviewCase,
    DecidedAppeal,
)
from contracts.recovery.appeals import (
    APPEAL_ID_PREFIX,
    APPEAL_STATUSES,
    MAX_APPEAL_FILE_BYTES,
    ORGANIZATION_APPEAL_FILES,
    PERSON_APPEAL_FILES,
    AppealStatus,
    AppealTicket,
    OrganizationAppeal,
    OrganizationLookup,
    OrganizationLookupRequest,
    PersonAppeal,
)
from contracts.recovery.client import RecoveryClient
from contracts.recovery.events import (
    AppealApproved,
    AppealRejected,
    AppealSubmitted,
    PasswordResetCompleted,
)
from contracts.recovery.resets import (
    RESET_ID_PREFIX,
    PasswordResetCompletion,
    PasswordResetPhone,
    PasswordResetStart,
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
