"""Contract of the ``verification`` service: real-name verification and its review.

Its client, :class:`VerificationClient`, is the contract: one method per RPC, the
reply models below. Its events (ids and codes only, never personal data) are
:class:`VerificationPassed`, :class:`VerificationFailed` (``status`` ``failed``:
not final, the user may upload materials; ``rejected``: final) and
:class:`VerificationReviewRequested`; accounts consumes all three. The review
queue's shared shapes and rules are ``contracts.review``.

Review case ids are public and prefixed ``vrf_`` (recovery's appeals use ``apl_``);
the gateway routes a case id to its owner by that prefix.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from contracts.accounts.replies import ClaimedIdentity
from contracts.client import ServiceClient
from contracts.events import Event
from contracts.models import Model
from contracts.review import (
    AccountKind,
    ReviewCaseList,
    ReviewCaseSummary,
    ReviewDecisionKind,
    ReviewDecisionRecord,
    ReviewFile,
    ReviewReason,
    ReviewViewRecord,
    Timestamp,
)

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
CaseStatus = Literal[
    "pending", "passed", "failed", "manual_review", "rejected", "superseded"
]
# The states a reviewer lists (a case reaches review with its materials).
ReviewStatus = Literal["manual_review", "passed", "rejected", "superseded"]

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


ReasonCode = Literal[
    "authority_match",
    "no_record",
    "name_mismatch",
    "legal_representative_mismatch",
    "reviewer_approved",
    "reviewer_rejected",
]
"""Why a case is where it is (the ``REASON_*`` constants)."""


# --- replies ------------------------------------------------------------------------------


class PipelineCanaryStatus(Model):
    """Whether accounts' ``pipeline_canary_sent`` for this id reached verification."""

    canary_id: str
    received: bool
    received_at: Timestamp | None
    correlation_id: str | None


class VerificationHistoryEntry(Model):
    """One state change of one of the account's cases, oldest first."""

    case_id: str
    status: CaseStatus = Field(description="The state the case reached.")
    trigger: str = Field(
        description="What moved it: `case_opened`, `authority_matched`, "
        "`authority_mismatched`, `materials_uploaded`, `reviewer_approved`, "
        "`reviewer_rejected`, `newer_case_opened`."
    )
    reason_code: ReasonCode | None
    at: Timestamp


class VerificationStatus(Model):
    """``GET /me/verification``: the account's newest case, why, and every state
    change of every case."""

    account_id: str
    status: Annotated[
        Literal["unverified"] | CaseStatus,
        Field(description="The newest case's state; `unverified` with no case."),
    ]
    reason_code: ReasonCode | None
    reason: str | None = Field(description="The reviewer's reason, on a rejection.")
    case_id: str | None
    can_upload_materials: bool = Field(
        description="Whether materials are accepted now (the automatic check "
        "failed, or a reviewer rejected the last ones: a new case opens)."
    )
    history: list[VerificationHistoryEntry]


class VerificationReviewCase(ReviewCaseSummary):
    """One verification case for a reviewer: on ``get_review_case`` its images,
    the identity the account claims beside them and the audit of its views; its
    decisions always."""

    kind: Literal["verification"]
    reason_code: ReasonCode | None
    files: list[ReviewFile] | None = Field(
        default=None,
        description="The uploaded images, decoded (when one case is read; left out "
        "of a decision's answer).",
    )
    claimed_identity: ClaimedIdentity | None = Field(
        default=None,
        description="What the account claims to be, beside the images (when one "
        "case is read): read from accounts now, document numbers and credit code "
        "in full, the main agent's mobile masked.",
    )
    claimed_identity_is_current: bool | None = Field(
        default=None,
        description="Whether this is the account's newest case. While a case is "
        "open the identity it checks cannot change (a change of a checked field "
        "opens a newer case); false means a newer case exists, so the identity "
        "shown may have changed since this case was opened.",
    )
    decisions: list[ReviewDecisionRecord]
    views: list[ReviewViewRecord] | None = Field(
        default=None,
        description="The audit of every view of this case, this one included, "
        "oldest first (when one case is read).",
    )


# --- events -------------------------------------------------------------------------------


class VerificationEvent(Event):
    """Every event verification emits: it names the case and the account."""

    source: ClassVar[str] = "verification"

    account_id: str
    account_kind: AccountKind
    case_id: str


class VerificationPassed(VerificationEvent):
    """A case passed: the authority matched, or a reviewer approved the materials."""

    event_type: ClassVar[str] = "verification_passed"

    reason_code: Literal["authority_match", "reviewer_approved"]
    status: Literal["passed"]
    final: bool = Field(description="Always false for a pass.")


class VerificationFailed(VerificationEvent):
    """A case failed: ``failed`` (the authority found no match; the user may upload
    materials; not final) or ``rejected`` (a reviewer rejected the materials;
    final, as accounts' contract reads it)."""

    event_type: ClassVar[str] = "verification_failed"

    reason_code: Literal[
        "no_record",
        "name_mismatch",
        "legal_representative_mismatch",
        "reviewer_rejected",
    ]
    status: Literal["failed", "rejected"]
    final: bool


class VerificationReviewRequested(VerificationEvent):
    """A user's materials arrived; the case waits for a reviewer."""

    event_type: ClassVar[str] = "verification_review_requested"


# --- the client ---------------------------------------------------------------------------


class VerificationClient(ServiceClient):
    name = "verification"
    events = (VerificationPassed, VerificationFailed, VerificationReviewRequested)

    def get_pipeline_canary(self, canary_id: str) -> PipelineCanaryStatus:
        """Whether ``accounts``' ``pipeline_canary_sent`` for this id has arrived.

        ``received`` is false until the event is handled; never raises for an
        unknown id.
        """
        return self._call("get_pipeline_canary", locals())

    def get_verification(self, account_id: str) -> VerificationStatus:
        """The account's real-name status: its latest case, reason and history.

        Never raises for an account without a case: ``status`` is ``unverified``.
        """
        return self._call("get_verification", locals())

    def submit_materials(
        self, account_id: str, account_kind: AccountKind, files: dict[str, str]
    ) -> ReviewCaseSummary:
        """Attach review materials to the account's failed case, or after a
        reviewer's rejection to a new case opened for them.

        ``files`` maps each field of ``MATERIAL_FIELDS[account_kind]`` to the
        upload's bytes in base64. Every image is checked by content (JPEG or PNG,
        at most ``MAX_MATERIAL_BYTES``, decodable, within the pixel limit), decoded
        and re-encoded (metadata dropped) and stored encrypted; then the case moves
        to ``manual_review`` (a new case opens there after a rejection; the
        summary is that case's). Nothing is stored unless every file passes.

        Raises ``InvalidInput`` (``file_missing``, ``unexpected_file``,
        ``file_too_large``, ``file_type_unsupported``, ``image_corrupt``,
        ``image_too_large``, ``account_kind_invalid``, ``files_invalid``) and
        ``Conflict`` (``materials_not_expected``: the account's newest case is
        neither ``failed`` nor ``rejected``, e.g. still in review). Emits
        ``verification_review_requested``.
        """
        return self._call("submit_materials", locals())

    def list_review_cases(
        self, status: ReviewStatus | None = None, limit: int = 50, offset: int = 0
    ) -> ReviewCaseList:
        """Verification review cases, oldest submission first.

        By default the open queue (``manual_review``); ``status`` filters by one
        of ``ReviewStatus``. Raises ``InvalidInput`` (``status_invalid``,
        ``limit_invalid``, ``offset_invalid`` for an offset that is no integer).
        """
        return self._call("list_review_cases", locals())

    def get_review_case(self, case_id: str, reviewer_id: str) -> VerificationReviewCase:
        """One case, as the reviewer ``reviewer_id`` opens it: its decoded images
        as data URLs, the identity the account claims (from accounts'
        ``claimed_identity_for_review``), its decisions and the audit of its
        views. Every view is audited (who, when, which case, the correlation
        id) in the transaction that reads the images; a view that fails shows
        nothing and records nothing.

        Raises ``NotFound`` (``case_not_found``), ``InvalidInput``
        (``case_id_invalid``: not text; ``reviewer_required``), ``Forbidden``
        (``reviewer_required``: accounts knows no reviewer ``reviewer_id``),
        ``Unavailable`` (accounts did not answer).
        """
        return self._call("get_review_case", locals())

    def decide_review_case(
        self,
        case_id: str,
        decision: ReviewDecisionKind,
        reason: ReviewReason,
        reviewer_id: str,
    ) -> VerificationReviewCase:
        """Approve or reject a case in ``manual_review``; audited (who, when, what,
        why) in the same transaction as the state change. The answer has no
        ``files``.

        Raises ``InvalidInput`` (``decision_invalid``, ``reason_required``,
        ``reason_too_long``; ``reason_invalid`` for a null reason, which only a
        caller that skipped ``ReviewDecisionRequest`` can send),
        ``NotFound`` (``case_not_found``), ``Conflict`` (``case_closed``: the case
        is not waiting for a review). Emits ``verification_passed`` or
        ``verification_failed`` (status ``rejected``).
        """
        return self._call("decide_review_case", locals())
