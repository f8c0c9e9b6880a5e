"""The review queue that verification and recovery share.

The gateway routes a review case to its owner by the id's prefix (``vrf_``
verification, ``apl_`` recovery); both owners refuse the same input with the same
codes and record decisions in the same shape, so a reviewer's client cannot tell
them apart.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from contracts.errors import Conflict, InvalidInput, NotFound, field_error
from contracts.models import Model

DECISIONS = ("approve", "reject")
MAX_REASON_CHARS = 1000
MAX_PAGE = 200


# --- the replies both owners answer (recovery's typed client reads them) -------------

ISO_TIME = {"format": "date-time"}


class ReviewCaseSummary(Model):
    """A case as the queue lists it, whichever service owns it."""

    case_id: str
    kind: str = Field(description="`verification` or `appeal`.")
    status: str = Field(description="The case's state.")
    account_id: str | None
    account_kind: str
    submitted_at: str | None = Field(json_schema_extra=ISO_TIME)
    decided_at: str | None = Field(json_schema_extra=ISO_TIME)


class ReviewPage(Model):
    """One page of an owner's queue."""

    items: list[ReviewCaseSummary]
    total: int


class DecisionRecord(Model):
    """A reviewer's decision as both owners record it."""

    decision: str
    reason: str
    reviewer_id: str
    decided_at: str = Field(json_schema_extra=ISO_TIME)


def checked_decision(decision: object, reason: object, reviewer_id: object) -> str:
    """The reason, stripped. Raises ``InvalidInput`` with every field error
    (``decision_invalid``, ``reason_required``, ``reason_too_long``,
    ``reviewer_required``)."""
    errors = []
    if decision not in DECISIONS:
        errors.append(field_error("decision", "decision_invalid", "approve or reject"))
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        errors.append(field_error("reason", "reason_required", "give a reason"))
    elif len(text) > MAX_REASON_CHARS:
        errors.append(
            field_error(
                "reason", "reason_too_long", f"at most {MAX_REASON_CHARS} chars"
            )
        )
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
