"""Idempotent consumers: an event's effect is applied once however often it arrives.

The consumer records the event id in ``processed_events`` in the same transaction as
the effect. A second delivery finds the id (or waits on the first delivery's
uncommitted row and then finds it) and skips.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from contracts.events import Envelope, Event
from nameko.events import event_handler
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

_log = logging.getLogger("servicekit.consume")


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


def consume(event: type[Event]):
    """An event handler for the ``contracts`` event model ``event``; the method
    receives an :class:`~contracts.events.Envelope` whose ``data`` is that model.

    nameko's default acks a message whose handler raised, which would lose the
    event; here a failure (database down, bug) requeues it, so nothing accepted is
    lost. Handlers must therefore be idempotent (``first_delivery``).

    A payload that does not match the model is a bug of the emitter, and would fail
    again at every delivery: it is logged at error level and acked (the event stays
    in the emitter's outbox table for a replay once the bug is fixed), instead of
    spinning for ever.
    """
    if not (isinstance(event, type) and issubclass(event, Event)):
        raise TypeError(f"consume takes a contracts event model, not {event!r}")
    envelope_type = Envelope[event]
    register = event_handler(event.source, event.event_type, requeue_on_error=True)

    def decorate(fn):
        @functools.wraps(fn)
        def handle(self, payload):
            try:
                envelope = envelope_type.model_validate(payload)
            except ValidationError as exc:
                _log.error(
                    "event %s.%s %s does not match its model; dropped: %s",
                    event.source,
                    event.event_type,
                    payload.get("event_id") if isinstance(payload, dict) else None,
                    exc,
                )
                return None
            return fn(self, envelope)

        handle.consumes = event  # read by the contract tests
        return register(handle)

    return decorate
