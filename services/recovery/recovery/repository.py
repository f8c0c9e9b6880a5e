"""Every query of the recovery service (appeals). Callers own transactions."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from servicekit.flow_records import ViewAudit, record_transition
from sqlalchemy.orm import Session

from recovery.flow import APPEAL_SUBMITTED, AppealState
from recovery.models import (
    appeal_decisions,
    appeal_files,
    appeal_review_views,
    appeal_transitions,
    appeals,
    work_items,
)

_APPEAL_ID = re.compile(r"apl_[0-9a-f]{32}")


def new_appeal_id() -> str:
    return "apl_" + secrets.token_hex(16)


def is_appeal_id(value: object) -> bool:
    """Whether ``value`` has the shape ``new_appeal_id`` gives. Anything else names
    no appeal and is never sent to PostgreSQL (which refuses a NUL in text)."""
    return isinstance(value, str) and _APPEAL_ID.fullmatch(value) is not None


def insert_appeal(
    session: Session, *, appeal_id: str, created_at: datetime, **values: Any
) -> None:
    """A ``submitted`` appeal and the first entry of its history."""
    session.execute(
        appeals.insert().values(
            id=appeal_id,
            state=AppealState.SUBMITTED.value,
            created_at=created_at,
            updated_at=created_at,
            **values,
        )
    )
    record_transition(
        session,
        appeal_transitions,
        appeal_id,
        None,
        AppealState.SUBMITTED,
        APPEAL_SUBMITTED,
        created_at,
    )


def insert_file(session: Session, **values: Any) -> None:
    session.execute(appeal_files.insert().values(**values))


def get_appeal(session: Session, appeal_id: str, for_update: bool = False):
    query = sa.select(appeals).where(appeals.c.id == appeal_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).first()


def transition(
    session: Session,
    appeal_id: str,
    *,
    from_state: AppealState,
    to_state: AppealState,
    trigger: str,
    now: datetime,
    **values: Any,
) -> bool:
    """Move the appeal only if it is still in ``from_state`` and write the move to
    its history, in the caller's transaction; True when moved."""
    result = session.execute(
        appeals.update()
        .where(appeals.c.id == appeal_id, appeals.c.state == from_state.value)
        .values(state=to_state.value, updated_at=now, **values)
    )
    if result.rowcount != 1:
        return False
    record_transition(
        session, appeal_transitions, appeal_id, from_state, to_state, trigger, now
    )
    return True


def history(session: Session, appeal_id: str) -> list:
    """Every state change of the appeal, oldest first."""
    return _of_appeal(session, appeal_transitions, appeal_id, "at", "id")


def insert_decision(session: Session, **values: Any) -> None:
    session.execute(appeal_decisions.insert().values(**values))


def decisions(session: Session, appeal_id: str) -> list:
    return _of_appeal(session, appeal_decisions, appeal_id, "id")


# every reviewer's view of an appeal: ``view_audit.record`` / ``view_audit.of``
view_audit = ViewAudit(appeal_review_views)


def files(session: Session, appeal_id: str) -> list:
    return _of_appeal(session, appeal_files, appeal_id, "field")


def _of_appeal(session: Session, table: sa.Table, appeal_id: str, *order: str) -> list:
    """The rows of ``table`` (history, decisions, files) that belong to one appeal,
    ordered by the columns ``order`` names."""
    return session.execute(
        sa.select(table)
        .where(table.c.appeal_id == appeal_id)
        .order_by(*(table.c[name] for name in order))
    ).all()


def delete_files(session: Session, appeal_id: str) -> int:
    return session.execute(
        appeal_files.delete().where(appeal_files.c.appeal_id == appeal_id)
    ).rowcount


def review_page(session: Session, state: str, limit: int, offset: int):
    where = appeals.c.state == state
    rows = session.execute(
        sa.select(appeals)
        .where(where)
        .order_by(appeals.c.created_at)
        .limit(limit)
        .offset(offset)
    ).all()
    total = session.execute(sa.select(sa.func.count()).where(where)).scalar()
    return rows, int(total or 0)


def forget_work_payload(session: Session, kind: str, ref: str) -> None:
    """Drop a finished item's payload (it held the encrypted temporary password)."""
    session.execute(
        work_items.update()
        .where(work_items.c.kind == kind, work_items.c.ref == ref)
        .values(payload={})
    )
