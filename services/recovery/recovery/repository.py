"""Every query of the recovery service (appeals). Callers own transactions."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from recovery.models import appeal_decisions, appeal_files, appeals, work_items

_APPEAL_ID = re.compile(r"apl_[0-9a-f]{32}")


def new_appeal_id() -> str:
    return "apl_" + secrets.token_hex(16)


def is_appeal_id(value: object) -> bool:
    """Whether ``value`` has the shape ``new_appeal_id`` gives. Anything else names
    no appeal and is never sent to PostgreSQL (which refuses a NUL in text)."""
    return isinstance(value, str) and _APPEAL_ID.fullmatch(value) is not None


def insert_appeal(session: Session, **values: Any) -> None:
    session.execute(appeals.insert().values(**values))


def insert_file(session: Session, **values: Any) -> None:
    session.execute(appeal_files.insert().values(**values))


def get_appeal(session: Session, appeal_id: str, for_update: bool = False):
    query = sa.select(appeals).where(appeals.c.appeal_id == appeal_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).first()


def transition(
    session: Session,
    appeal_id: str,
    *,
    from_status: str,
    to_status: str,
    now: datetime,
    **values: Any,
) -> bool:
    """Move the appeal only if it is still in ``from_status``; True when moved."""
    result = session.execute(
        appeals.update()
        .where(appeals.c.appeal_id == appeal_id, appeals.c.status == from_status)
        .values(status=to_status, updated_at=now, **values)
    )
    return result.rowcount == 1


def insert_decision(session: Session, **values: Any) -> None:
    session.execute(appeal_decisions.insert().values(**values))


def decisions(session: Session, appeal_id: str) -> list:
    return session.execute(
        sa.select(appeal_decisions)
        .where(appeal_decisions.c.appeal_id == appeal_id)
        .order_by(appeal_decisions.c.id)
    ).all()


def files(session: Session, appeal_id: str) -> list:
    return session.execute(
        sa.select(appeal_files)
        .where(appeal_files.c.appeal_id == appeal_id)
        .order_by(appeal_files.c.field)
    ).all()


def delete_files(session: Session, appeal_id: str) -> int:
    return session.execute(
        appeal_files.delete().where(appeal_files.c.appeal_id == appeal_id)
    ).rowcount


def review_page(session: Session, status: str, limit: int, offset: int):
    where = appeals.c.status == status
    rows = session.execute(
        sa.select(appeals)
        .where(where)
        .order_by(appeals.c.submitted_at)
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
