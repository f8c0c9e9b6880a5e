"""The review queue's verification cases: list, show with images and the claimed
identity (every view audited), decide (plain functions; the queue's shared rules are
``contracts.review``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from contracts import review
from contracts.errors import InvalidInput
from contracts.models import dump
from contracts.verification import REASON_REVIEWER_APPROVED, REASON_REVIEWER_REJECTED
from servicekit.images import review_view
from sqlalchemy.orm import Session

from verification import repository as repo
from verification.cases import (
    Cipher,
    ClaimSource,
    Emit,
    emit_outcome,
    material_aad,
    review_summary,
    schedule_purge,
)
from verification.flow import CASE, CaseState, Trigger

# the states a reviewer may list (a case reaches review with its materials)
REVIEW_STATES = (
    CaseState.MANUAL_REVIEW,
    CaseState.PASSED,
    CaseState.REJECTED,
    CaseState.SUPERSEDED,
)


def list_review_cases(
    session: Session, status: str | None, limit: int, offset: int
) -> dict:
    """One page of cases in ``status`` (a state; ``manual_review`` by default)."""
    state = status or CaseState.MANUAL_REVIEW.value
    review.check_page(state, [s.value for s in REVIEW_STATES], limit, offset)
    with session.begin():
        rows, total = repo.review_cases(session, state, limit, offset)
    return {"items": [review_summary(r) for r in rows], "total": total}


def get_review_case(
    session: Session,
    case_id: str,
    cipher: Cipher,
    *,
    reviewer_id: str,
    claims: ClaimSource,
    correlation_id: str | None,
    clock: Callable[[], datetime],
) -> dict:
    """A case in review as the reviewer ``reviewer_id`` opens it: its decoded
    images, the identity the account claims (asked from accounts, outside any
    transaction), its decisions and the audit of its views. The view is written
    to the audit in the transaction that reads the images: a view that fails
    before (unknown case, accounts refusing or down) shows nothing and records
    nothing."""
    if not reviewer_id:
        raise InvalidInput("reviewer_required", "Who is viewing?")
    if not repo.is_case_id(case_id):
        raise review.case_not_found()
    with session.begin():
        case = repo.get_case(session, case_id)
    if case is None or case.submitted_at is None:
        raise review.case_not_found()
    claimed = claims.get(case.account_id, reviewer_id)
    with session.begin():
        repo.view_audit.record(
            session,
            case_id,
            reviewer_id=reviewer_id,
            correlation_id=correlation_id,
            now=clock(),
        )
        current = repo.is_latest_case(session, case)
        stored = repo.case_materials(session, case_id)
        decisions = repo.case_decisions(session, case_id)
        views = repo.view_audit.of(session, case_id)
    files = [
        review_view(
            m.field,
            m.media_type,
            m.width,
            m.height,
            cipher.decrypt_bytes(m.ciphertext, material_aad(case_id, m.field)),
        )
        for m in stored
    ]
    return {
        **review_summary(case),
        "reason_code": case.reason_code,
        "files": files,
        "claimed_identity": dump(claimed),
        "claimed_identity_is_current": current,
        "decisions": [review.decision_record(d) for d in decisions],
        "views": [review.view_record(v) for v in views],
    }


def decide_review_case(
    session: Session,
    emit: Emit,
    *,
    case_id: str,
    decision: str,
    reason: str,
    reviewer_id: str,
    correlation_id: str | None,
    clock: Callable[[], datetime],
    retention_seconds: float = 30 * 86400,
    parent_call_id: str | None = None,
) -> dict:
    """Approve or reject a case in review; the audit row, the state change and the
    outcome event are one transaction. A second decision finds the case closed.
    The images are deleted ``retention_seconds`` later."""
    reason = review.checked_decision(decision, reason, reviewer_id)
    approve = decision == "approve"
    trigger = Trigger.REVIEWER_APPROVED if approve else Trigger.REVIEWER_REJECTED
    reason_code = REASON_REVIEWER_APPROVED if approve else REASON_REVIEWER_REJECTED
    if not repo.is_case_id(case_id):
        raise review.case_not_found()
    with session.begin():
        case = repo.get_case(session, case_id, for_update=True)
        if case is None or case.submitted_at is None:
            raise review.case_not_found()
        if case.state not in CASE.sources_of(trigger):
            raise review.case_closed(case.state)
        now = clock()
        current = CaseState(case.state)
        # the case is locked: the move cannot be lost to another worker
        target = repo.transition(
            session,
            case_id,
            from_state=current,
            trigger=trigger,
            reason_code=reason_code,
            now=now,
            reason=reason,
            decided=True,
        )
        repo.insert_decision(
            session,
            case_id=case_id,
            reviewer_id=reviewer_id,
            decision=decision,
            reason=reason,
            from_state=current,
            to_state=target,
            correlation_id=correlation_id,
            now=now,
        )
        emit_outcome(emit, case, target, reason_code)
        schedule_purge(
            session, case_id, retention_seconds, correlation_id, parent_call_id
        )
        updated = repo.get_case(session, case_id)
        decisions = repo.case_decisions(session, case_id)
    return {
        **review_summary(updated),
        "reason_code": updated.reason_code,
        "decisions": [review.decision_record(d) for d in decisions],
    }
