"""Every query of the verification service (the use cases never build SQL themselves)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

import sqlalchemy as sa
from contracts.verification import CASE_ID_PREFIX
from servicekit.flow_records import ViewAudit, record_transition
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from verification.flow import CASE, CASE_OPENED, OPEN, CaseState, Trigger
from verification.models import (
    case_transitions,
    cases,
    materials,
    pipeline_canaries,
    review_decisions,
    review_views,
)


def new_case_id() -> str:
    return CASE_ID_PREFIX + secrets.token_hex(16)


_CASE_ID = re.compile(re.escape(CASE_ID_PREFIX) + r"[0-9a-f]{32}")


def is_case_id(value: object) -> bool:
    """Whether ``value`` has the shape ``new_case_id`` gives. Anything else names no
    case and is never sent to PostgreSQL (which refuses a NUL in text)."""
    return isinstance(value, str) and _CASE_ID.fullmatch(value) is not None


def lock_account(session: Session, account_id: str) -> None:
    """Serialise case changes of one account until the transaction ends (two events
    of one account handled at once must not both open a case)."""
    session.execute(
        sa.select(
            sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(account_id, 0))
        )
    )


def get_case(session: Session, case_id: str, for_update: bool = False) -> Row | None:
    query = sa.select(cases).where(cases.c.id == case_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).first()


def latest_case(
    session: Session, account_id: str, for_update: bool = False
) -> Row | None:
    query = (
        sa.select(cases)
        .where(cases.c.account_id == account_id)
        .order_by(cases.c.requested_at.desc(), cases.c.created_at.desc())
        .limit(1)
    )
    if for_update:
        query = query.with_for_update()
    return session.execute(query).first()


def open_cases(session: Session, account_id: str) -> list[Row]:
    return session.execute(
        sa.select(cases)
        .where(
            cases.c.account_id == account_id,
            cases.c.state.in_([s.value for s in OPEN]),
        )
        .with_for_update()
    ).all()


def insert_case(
    session: Session,
    *,
    case_id: str,
    account_id: str,
    account_kind: str,
    opened_by_event: str,
    requested_at: datetime,
    correlation_id: str | None,
    now: datetime,
    state: CaseState = CaseState.PENDING,
) -> None:
    """A new case in ``state`` (``flow.CASE``'s initial, or one of its
    ``also_initial``: materials after a rejection open it in review)."""
    session.execute(
        cases.insert().values(
            id=case_id,
            account_id=account_id,
            account_kind=account_kind,
            state=state.value,
            opened_by_event=opened_by_event,
            requested_at=requested_at,
            correlation_id=correlation_id,
            created_at=now,
            updated_at=now,
            submitted_at=now if state == CaseState.MANUAL_REVIEW else None,
        )
    )
    record_transition(session, case_transitions, case_id, None, state, CASE_OPENED, now)


def transition(
    session: Session,
    case_id: str,
    *,
    from_state: CaseState | str,
    trigger: Trigger,
    reason_code: str | None,
    now: datetime,
    reason: str | None = None,
    submitted: bool = False,
    decided: bool = False,
) -> CaseState | None:
    """Move the case by ``trigger`` (``flow.CASE``) only if it is still in
    ``from_state`` (the conditional transition that makes a decision happen once,
    whoever races for it) and write the move to its history, in the caller's
    transaction. Answers the state reached, or None when the race was lost."""
    from_state = CaseState(from_state)
    to_state = CASE.advance(from_state, trigger)
    values: dict = {
        "state": to_state.value,
        "reason_code": reason_code,
        "updated_at": now,
    }
    if reason is not None:
        values["reason"] = reason
    if submitted:
        values["submitted_at"] = now
    if decided:
        values["decided_at"] = now
    result = session.execute(
        cases.update()
        .where(cases.c.id == case_id, cases.c.state == from_state.value)
        .values(**values)
    )
    if result.rowcount != 1:
        return None
    record_transition(
        session,
        case_transitions,
        case_id,
        from_state,
        to_state,
        trigger,
        now,
        reason_code=reason_code,
    )
    return to_state


def account_history(session: Session, account_id: str) -> list[Row]:
    return session.execute(
        sa.select(
            case_transitions.c.case_id,
            case_transitions.c.to_state,
            case_transitions.c.trigger,
            case_transitions.c.reason_code,
            case_transitions.c.at,
        )
        .join(cases, cases.c.id == case_transitions.c.case_id)
        .where(cases.c.account_id == account_id)
        .order_by(case_transitions.c.at, case_transitions.c.id)
    ).all()


def insert_material(
    session: Session,
    *,
    case_id: str,
    field: str,
    media_type: str,
    width: int,
    height: int,
    size: int,
    key_id: str,
    ciphertext: bytes,
    now: datetime,
) -> None:
    session.execute(
        materials.insert().values(
            case_id=case_id,
            field=field,
            media_type=media_type,
            width=width,
            height=height,
            size=size,
            key_id=key_id,
            ciphertext=ciphertext,
            created_at=now,
        )
    )


def delete_materials(session: Session, case_id: str) -> int:
    return session.execute(
        materials.delete().where(materials.c.case_id == case_id)
    ).rowcount


def case_materials(session: Session, case_id: str) -> list[Row]:
    return _of_case(session, materials, case_id, "field")


def _of_case(session: Session, table: sa.Table, case_id: str, order: str) -> list[Row]:
    """The rows of ``table`` (materials, decisions) that belong to one case, ordered
    by the column ``order`` names."""
    return session.execute(
        sa.select(table).where(table.c.case_id == case_id).order_by(table.c[order])
    ).all()


def insert_decision(
    session: Session,
    *,
    case_id: str,
    reviewer_id: str,
    decision: str,
    reason: str,
    from_state: CaseState,
    to_state: CaseState,
    correlation_id: str | None,
    now: datetime,
) -> None:
    session.execute(
        review_decisions.insert().values(
            case_id=case_id,
            reviewer_id=reviewer_id,
            decision=decision,
            reason=reason,
            from_state=from_state.value,
            to_state=to_state.value,
            decided_at=now,
            correlation_id=correlation_id,
        )
    )


def case_decisions(session: Session, case_id: str) -> list[Row]:
    return _of_case(session, review_decisions, case_id, "id")


# every reviewer's view of a case: ``view_audit.record`` / ``view_audit.of``
view_audit = ViewAudit(review_views)


def is_latest_case(session: Session, case: Row) -> bool:
    """Whether no newer case of the case's account exists."""
    latest = latest_case(session, case.account_id)
    return latest is not None and latest.id == case.id


def review_cases(
    session: Session, state: str, limit: int, offset: int
) -> tuple[list[Row], int]:
    """Cases that reached review (materials submitted), oldest submission first."""
    where = [cases.c.submitted_at.is_not(None), cases.c.state == state]
    rows = session.execute(
        sa.select(cases)
        .where(*where)
        .order_by(cases.c.submitted_at, cases.c.id)
        .limit(limit)
        .offset(offset)
    ).all()
    total = session.execute(sa.select(sa.func.count()).where(*where)).scalar_one()
    return rows, total


def insert_pipeline_canary(
    session: Session, canary_id: str, correlation_id: str | None, now: datetime
) -> None:
    session.execute(
        sa.insert(pipeline_canaries).values(
            canary_id=canary_id, correlation_id=correlation_id, received_at=now
        )
    )


def get_pipeline_canary(session: Session, canary_id: str) -> Row | None:
    return session.execute(
        sa.select(pipeline_canaries).where(pipeline_canaries.c.canary_id == canary_id)
    ).first()
