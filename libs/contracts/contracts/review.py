"""The review queue that verification and recovery share.

The gateway routes a review case to its owner by the id's prefix (``vrf_``
verification, ``apl_`` recovery); both owners refuse the same input with the same
codes and answer the same shapes (the models here), so a reviewer's client cannot
tell them apart. Each owner adds its own detail model for one case
(``contracts.verification.VerificationReviewCase``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, ValidationError

from contracts.errors import Conflict, InvalidInput, NotFound, field_error
from contracts.models import (
    ErrorCode,
    Model,
    Text,
    blank_is_missing,
    field_errors,
    rule_error,
)

DECISIONS = ("approve", "reject")
MAX_REASON_CHARS = 1000
MAX_PAGE = 200


def _decision_rule(value: Any) -> Any:
    if value not in DECISIONS:
        raise rule_error("decision_invalid", "approve or reject")
    return value


def _reason_rule(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise rule_error("reason_required", "give a reason")
    if len(text) > MAX_REASON_CHARS:
        raise rule_error("reason_too_long", f"at most {MAX_REASON_CHARS} chars")
    return text


ReviewDecisionKind = Annotated[
    Literal["approve", "reject"], BeforeValidator(_decision_rule)
]
"""A reviewer's decision; anything else is ``decision_invalid``."""

ReviewReason = Annotated[
    str,
    BeforeValidator(_reason_rule),
    Field(min_length=1, max_length=MAX_REASON_CHARS),
]
"""Why the reviewer decided, trimmed: blank is ``reason_required``, longer than
``MAX_REASON_CHARS`` ``reason_too_long``."""

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
"""An ISO 8601 instant as the owners write it (``datetime.isoformat()``)."""

AccountKind = Literal["person", "organization"]


# --- what reviewers send and see ----------------------------------------------------------


class ReviewDecisionRequest(Model):
    """``POST /admin/review-cases/{case_id}/decision``: approve or reject, and why
    (the reviewer is the caller)."""

    first_error_on_top: ClassVar[bool] = True

    decision: Annotated[
        ReviewDecisionKind,
        ErrorCode("decision_invalid", when_missing=True),
        Field(examples=["approve"]),
    ]
    reason: Annotated[
        ReviewReason,
        ErrorCode("reason_required", when_missing=True),
        Field(
            description="Shown to the user on a rejection; kept in the audit.",
            examples=["The documents match the registration."],
        ),
    ]
    account_id: Annotated[
        Text(64) | None,
        BeforeValidator(blank_is_missing),
        ErrorCode("candidate_invalid"),
        Field(
            description="Appeals only: the approved account, one of the case's "
            "`candidates`; required to approve an appeal with more than one "
            "(`candidate_required`). A verification case refuses it "
            "(`account_id_not_expected`).",
            examples=["6f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b"],
        ),
    ] = None


class ReviewCaseSummary(Model):
    """A case as the queue lists it, whichever service owns it."""

    case_id: str = Field(
        description="A public id; its prefix names the owner (`vrf_` verification, "
        "`apl_` recovery's appeals)."
    )
    kind: Literal["verification", "appeal"]
    status: str = Field(description="The case's state; its values depend on `kind`.")
    account_id: str | None = Field(
        description="The account (for an appeal, the account it matches, or null)."
    )
    account_kind: AccountKind
    submitted_at: Timestamp | None
    decided_at: Timestamp | None


class ReviewCaseList(Model):
    """One page of the queue, oldest submission first."""

    items: list[ReviewCaseSummary]
    total: int = Field(description="Cases in this status, over every page.")


class ReviewFile(Model):
    """An uploaded image as a reviewer's screen shows it."""

    field: str
    media_type: Literal["image/jpeg", "image/png"]
    data_url: str = Field(description="`data:image/...;base64,...`")
    width: int
    height: int


class ReviewDecisionRecord(Model):
    """One audited decision."""

    decision: Literal["approve", "reject"]
    reason: str
    reviewer_id: str
    decided_at: Timestamp


class ReviewViewRecord(Model):
    """One audited view of a case by a reviewer (who, when)."""

    reviewer_id: str
    viewed_at: Timestamp


# --- the rules both owners apply ------------------------------------------------------------


def checked_decision(decision: object, reason: object, reviewer_id: object) -> str:
    """The reason, stripped. Raises ``InvalidInput`` with every field error
    (``decision_invalid``, ``reason_required``, ``reason_too_long``,
    ``reviewer_required``), the first one on top: the rules of
    :class:`ReviewDecisionRequest`, for a caller that did not send one."""
    errors: list[dict] = []
    text = ""
    try:
        body = ReviewDecisionRequest.model_validate(
            {"decision": decision, "reason": reason}
        )
        text = body.reason
    except ValidationError as exc:
        errors = field_errors(exc, ReviewDecisionRequest)
    if not reviewer_id:
        errors.append(field_error("reviewer_id", "reviewer_required", "who decides?"))
    if errors:
        raise InvalidInput(errors[0]["code"], errors[0]["message"], {"errors": errors})
    return text


def check_page(status: str, statuses: list[str], limit: object, offset: object) -> None:
    """Raises ``InvalidInput`` (``status_invalid``, ``limit_invalid``) for a queue
    page that cannot be served."""
    if status not in statuses:
        raise InvalidInput(
            "status_invalid",
            "status must be one of " + ", ".join(statuses),
            {"errors": [field_error("status", "status_invalid", "unknown status")]},
        )
    if not (isinstance(limit, int) and 1 <= limit <= MAX_PAGE) or not (
        isinstance(offset, int) and offset >= 0
    ):
        raise InvalidInput("limit_invalid", f"limit 1-{MAX_PAGE}, offset 0 or more")


def decision_record(decision) -> dict:
    """A stored decision (a row with ``decision, reason, reviewer_id,
    decided_at``) as both owners answer it."""
    return {
        "decision": decision.decision,
        "reason": decision.reason,
        "reviewer_id": decision.reviewer_id,
        "decided_at": decision.decided_at.isoformat(),
    }


def view_record(view) -> dict:
    """A stored view (a row with ``reviewer_id, viewed_at``) as an owner answers
    it."""
    return {"reviewer_id": view.reviewer_id, "viewed_at": view.viewed_at.isoformat()}


def case_summary(
    *,
    case_id: str,
    kind: str,
    state: str,
    account_id: str | None,
    account_kind: str,
    submitted_at: datetime | None,
    decided_at: datetime | None,
) -> dict:
    """A case as the queue lists it, whichever service owns it (the answer's
    ``status`` is the case's state)."""
    return {
        "case_id": case_id,
        "kind": kind,
        "status": state,
        "account_id": account_id,
        "account_kind": account_kind,
        "submitted_at": submitted_at.isoformat() if submitted_at else None,
        "decided_at": decided_at.isoformat() if decided_at else None,
    }


def case_not_found() -> NotFound:
    """What an owner raises for an id that names none of its cases in review."""
    return NotFound("case_not_found", "No such review case.")


def case_closed(state: str) -> Conflict:
    """What an owner raises for a decision on a case not waiting for one."""
    return Conflict(
        "case_closed", "The case is not waiting for a review.", {"case_status": state}
    )
