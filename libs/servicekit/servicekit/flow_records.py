"""The tables a reviewed flow keeps beside its record, declared once.

Recovery's appeals and verification's cases are both records in the flows' vocabulary
(``id``, ``state``, ``created_at``, ``updated_at``) that a reviewer decides on after the
user uploaded images. Each keeps tables tied to its record by a ``<record>_id`` column:
every state change (the history), the uploaded images (re-encoded and encrypted), the
audit of every reviewer decision and of every reviewer's view.
The shapes are the same for both, so they are built here on the service's own
metadata, as ``outbox_table`` is; names (table, column, index) stay each service's, so
the schema its migrations made is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

TIMESTAMP = sa.DateTime(timezone=True)


@dataclass(frozen=True)
class RecordRef:
    """How rows point at their flow record: column ``column`` referencing
    ``<table>.id`` (for example ``appeal_id`` → ``appeals.id``)."""

    column: str
    table: str

    def __call__(self, **options: bool) -> sa.Column:
        """The column that ties a row (a transition, an image, a decision) to its
        record."""
        return sa.Column(
            self.column, sa.String(40), sa.ForeignKey(f"{self.table}.id"), **options
        )


def transitions_table(
    metadata: sa.MetaData,
    name: str,
    ref: RecordRef,
    *extra: sa.Column,
    index: str,
) -> sa.Table:
    """Every state change of every record, written in the transaction of the change;
    ``extra`` columns (e.g. a reason code) come before ``at``."""
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        ref(nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("trigger", sa.String(40), nullable=False),
        *extra,
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Index(index, ref.column, "id"),
    )


def images_table(metadata: sa.MetaData, name: str, ref: RecordRef) -> sa.Table:
    """Uploaded images, one per (record, field), re-encoded and encrypted (AES-GCM,
    the aad binds record and field)."""
    return sa.Table(
        name,
        metadata,
        ref(primary_key=True),
        sa.Column("field", sa.String(20), primary_key=True),
        sa.Column("media_type", sa.String(20), nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )


def decisions_table(
    metadata: sa.MetaData, name: str, ref: RecordRef, *, index: str
) -> sa.Table:
    """The audit of every reviewer decision: who, when, what, why."""
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        ref(nullable=False),
        sa.Column("reviewer_id", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("from_state", sa.String(20), nullable=False),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=False),
        sa.Column("correlation_id", sa.String(128), nullable=True),
        sa.Index(index, ref.column),
    )


def views_table(
    metadata: sa.MetaData, name: str, ref: RecordRef, *, index: str
) -> sa.Table:
    """The audit of every time a reviewer opened a record (its images and the
    claimed identity): who, when, and the request that did it."""
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        ref(nullable=False),
        sa.Column("reviewer_id", sa.String(64), nullable=False),
        sa.Column("viewed_at", TIMESTAMP, nullable=False),
        sa.Column("correlation_id", sa.String(128), nullable=True),
        sa.Index(index, ref.column, "id"),
    )


def _ref_column(table: sa.Table) -> str:
    """The column of ``table`` that names its record (the one foreign key)."""
    return next(c.name for c in table.columns if c.foreign_keys)


@dataclass(frozen=True)
class ViewAudit:
    """The audit of reviewers' views of one kind of record, kept in ``table``
    (built by :func:`views_table`)."""

    table: sa.Table

    def record(
        self,
        session: Session,
        record_id: str,
        *,
        reviewer_id: str,
        correlation_id: str | None,
        now: datetime,
    ) -> None:
        """Audit one view of record ``record_id`` by ``reviewer_id``, in the
        caller's transaction: the one that reads what the reviewer sees."""
        session.execute(
            self.table.insert().values(
                {
                    _ref_column(self.table): record_id,
                    "reviewer_id": reviewer_id,
                    "viewed_at": now,
                    "correlation_id": correlation_id,
                }
            )
        )

    def of(self, session: Session, record_id: str) -> list[sa.Row]:
        """Every audited view of record ``record_id``, oldest first."""
        table = self.table
        return list(
            session.execute(
                sa.select(table)
                .where(table.c[_ref_column(table)] == record_id)
                .order_by(table.c.id)
            ).all()
        )


def record_transition(
    session: Session,
    table: sa.Table,
    record_id: str,
    from_state: StrEnum | None,
    to_state: StrEnum,
    trigger: str,
    now: datetime,
    **extra: Any,
) -> None:
    """Write one state change of record ``record_id`` to ``table`` (built by
    :func:`transitions_table`) in the caller's transaction; ``extra`` fills the
    table's extra columns."""
    values = {
        _ref_column(table): record_id,
        "from_state": from_state.value if from_state else None,
        "to_state": to_state.value,
        "trigger": str(trigger),
        "at": now,
        **extra,
    }
    session.execute(table.insert().values(values))
