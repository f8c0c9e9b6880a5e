"""Idempotent consumers: an event's effect is applied once however often it arrives.

The consumer records the event id in ``processed_events`` in the same transaction as
the effect. A second delivery finds the id (or waits on the first delivery's
uncommitted row and then finds it) and skips.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from nameko.events import event_handler
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session


def processed_events_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "processed_events",
        metadata,
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("consumer", sa.String(200), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def first_delivery(
    session: Session, table: sa.Table, event_id: str, consumer: str
) -> bool:
    """Record ``event_id`` for ``consumer``; False when it was already processed.

    Call it inside the transaction that applies the effect.
    """
    result = session.execute(
        insert(table)
        .values(event_id=event_id, consumer=consumer, processed_at=datetime.now(UTC))
        .on_conflict_do_nothing()
        .returning(table.c.event_id)
    )
    return result.first() is not None


def consume(source_service: str, event_type: str):
    """An event handler that puts the message back when the handler fails.

    nameko's default acks a message whose handler raised, which would lose the
    event; here a failure (database down, bug) requeues it, so nothing accepted is
    lost. Handlers must therefore be idempotent (``first_delivery``).
    """
    return event_handler(source_service, event_type, requeue_on_error=True)
