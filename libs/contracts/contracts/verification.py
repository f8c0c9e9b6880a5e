"""Contract of the ``verification`` service: real-name verification and its review.

Events (envelope ``data``; ids and codes only, never personal data):

- ``verification_passed``: ``{account_id, account_kind, case_id, reason_code, status,
  final}`` where ``status`` is ``passed``, ``final`` false and ``reason_code`` is
  ``authority_match`` or ``reviewer_approved``.
- ``verification_failed``: ``{account_id, account_kind, case_id, reason_code, status,
  final}`` where ``status`` is ``failed`` (the authority found no match; the user may
  upload materials; ``final`` false) or ``rejected`` (a reviewer rejected the
  materials; ``final`` true, as accounts' contract reads it).
- ``verification_review_requested``: ``{account_id, account_kind, case_id}`` when a
  user's materials arrived and the case waits for a reviewer.

Review case ids are public and prefixed ``vrf_`` (recovery's appeals use ``apl_``);
the gateway routes a case id to its owner by that prefix.
"""

from __future__ import annotations

from typing import TypedDict

from contracts.base import ServiceContract

CASE_ID_PREFIX = "vrf_"

# The states of a verification case (see verification/case_states.md in the service).
CASE_STATUSES = (
    "pending",
    "passed",
    "failed",
    "manual_review",
    "rejected",
    "superseded",
)

# What an account's real-name status is when it has no case at all.
NO_CASE_STATUS = "unverified"

# Automatic outcomes.
REASON_AUTHORITY_MATCH = "authority_match"
REASON_NO_RECORD = "no_record"  # the authority knows no such document / credit code
REASON_NAME_MISMATCH = "name_mismatch"
REASON_LEGAL_REPRESENTATIVE_MISMATCH = "legal_representative_mismatch"
# Manual outcomes.
REASON_REVIEWER_APPROVED = "reviewer_approved"
REASON_REVIEWER_REJECTED = "reviewer_rejected"

# Upload fields: persons send the document's two sides, organisations also the licence.
MATERIAL_FIELDS = {
    "person": ("id_front", "id_back"),
    "organization": ("id_front", "id_back", "licence"),
}
MAX_MATERIAL_BYTES = 1024 * 1024


class CanaryStatus(TypedDict):
    canary_id: str
    received: bool
    received_at: str | None
    correlation_id: str | None


class HistoryEntry(TypedDict):
    status: str
    reason_code: str | None
    at: str


class VerificationStatus(TypedDict):
    account_id: str
    status: str  # NO_CASE_STATUS or one of CASE_STATUSES
    reason_code: str | None
    reason: str | None  # the reviewer's words on a rejection
    case_id: str | None
    can_upload_materials: bool
    history: list[HistoryEntry]


class ReviewCaseSummary(TypedDict):
    case_id: str
    kind: str  # "verification"
    status: str
    account_id: str
    account_kind: str
    submitted_at: str | None
    decided_at: str | None


class ReviewFile(TypedDict):
    field: str
    media_type: str
    data_url: str  # data:image/png;base64,...
    width: int
    height: int


class ReviewDecisionRecord(TypedDict):
    decision: str
    reason: str
    reviewer_id: str
    decided_at: str


class ReviewCase(ReviewCaseSummary, total=False):
    reason_code: str | None
    files: list[ReviewFile]
    decisions: list[ReviewDecisionRecord]


class ReviewCaseList(TypedDict):
    items: list[ReviewCaseSummary]
    total: int


class VerificationContract(ServiceContract):
    name = "verification"
    events = (
        "verification_passed",
        "verification_failed",
        "verification_review_requested",
    )

    def get_pipeline_canary(self, canary_id: str) -> CanaryStatus:
        """Whether ``accounts``' ``pipeline_canary_sent`` for this id has arrived.

        ``received`` is false until the event is handled; never raises for an
        unknown id.
        """
        raise NotImplementedError

    def get_verification(self, account_id: str) -> VerificationStatus:
        """The account's real-name status: its latest case, reason and history.

        Never raises for an account without a case: ``status`` is ``unverified``.
        """
        raise NotImplementedError

    def submit_materials(
        self, account_id: str, account_kind: str, files: dict[str, str]
    ) -> ReviewCaseSummary:
        """Attach review materials to the account's failed case.

        ``files`` maps each field of ``MATERIAL_FIELDS[account_kind]`` to the
        upload's bytes in base64. Every image is checked by content (JPEG or PNG,
        at most ``MAX_MATERIAL_BYTES``, decodable, within the pixel limit), decoded
        and re-encoded (metadata dropped) and stored encrypted; then the case moves
        to ``manual_review``. Nothing is stored unless every file passes.

        Raises ``InvalidInput`` (``file_missing``, ``unexpected_file``,
        ``file_too_large``, ``file_type_unsupported``, ``image_corrupt``,
        ``image_too_large``, ``account_kind_invalid``) and ``Conflict``
        (``materials_not_expected``: the account's case is not ``failed``).
        Emits ``verification_review_requested``.
        """
        raise NotImplementedError

    def list_review_cases(
        self, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> ReviewCaseList:
        """Verification review cases, oldest submission first.

        By default the open queue (``manual_review``); ``status`` filters by one
        of ``CASE_STATUSES``. Raises ``InvalidInput`` (``status_invalid``,
        ``limit_invalid``).
        """
        raise NotImplementedError

    def get_review_case(self, case_id: str) -> ReviewCase:
        """One case with its decoded images as data URLs and its decisions.

        Raises ``NotFound`` (``case_not_found``).
        """
        raise NotImplementedError

    def decide_review_case(
        self, case_id: str, decision: str, reason: str, reviewer_id: str
    ) -> ReviewCase:
        """Approve or reject a case in ``manual_review``; audited (who, when, what,
        why) in the same transaction as the state change.

        Raises ``InvalidInput`` (``decision_invalid``, ``reason_required``),
        ``NotFound`` (``case_not_found``), ``Conflict`` (``case_closed``: the case
        is not waiting for a review). Emits ``verification_passed`` or
        ``verification_failed`` (status ``rejected``).
        """
        raise NotImplementedError
