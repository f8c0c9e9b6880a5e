"""The review queue that verification and recovery share.

The gateway routes a review case to its owner by the id's prefix (``vrf_``
verification, ``apl_`` recovery); both owners refuse the same input with the same
codes and record decisions in the same shape, so a reviewer's client cannot tell
them apart.
"""

from __future__ import annotations

from contracts.errors import InvalidInput, field_error

DECISIONS = ("approve", "reject")
MAX_REASON_CHARS = 1000
MAX_PAGE = 200


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
