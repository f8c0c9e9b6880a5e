"""The transactional outbox: an event is written in the same transaction as the
state change it reports, then a relay publishes it with publisher confirms and marks
it sent.

The relay claims rows with ``FOR UPDATE SKIP LOCKED``, so any number of copies of a
service can relay at once without publishing a row twice while it is claimed. A
crash after publishing and before marking means the row is published again:
delivery is at-least-once and every consumer is idempotent (``idempotency.py``).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from contracts.events import Event
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Session

from servicekit.publishing import EventPublisher, envelope
from servicekit.tracing import publish_span

_log = logging.getLogger("servicekit.outbox")


def outbox_table(metadata: sa.MetaData) -> sa.Table:
    """The ``outbox`` table, declared on a service's own metadata."""
    return sa.Table(
        "outbox",
        metadata,
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column("headers", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Index(
            "ix_outbox_unsent",
            "created_at",
            postgresql_where=sa.text("sent_at IS NULL"),
        ),
    )


def add_event(
    session: Session,
    table: sa.Table,
    event: Event,
    *,
    correlation_id: str | None,
    call_id_stack: list[str] | None = None,
    now: datetime | None = None,
    trace_context: dict[str, str] | None = None,
) -> str:
    """Add ``event`` (a ``contracts`` event model: its class names its source and
    type, its fields are the payload) to the outbox inside the caller's transaction;
    returns its id.

    ``correlation_id``, ``call_id_stack`` and ``trace_context`` (``traceparent``,
    ``tracestate``) are stored as the event's headers: the consumer's worker gets
    them as its nameko context data, so the request's id, the call tree and the
    OpenTelemetry trace continue there.
    """
    row = outbox_row(
        event,
        correlation_id=correlation_id,
        call_id_stack=call_id_stack,
        now=now,
        trace_context=trace_context,
    )
    session.execute(table.insert().values(**row))
    return str(row["id"])


def outbox_row(
    event: Event,
    *,
    correlation_id: str | None,
    call_id_stack: list[str] | None = None,
    now: datetime | None = None,
    trace_context: dict[str, str] | None = None,
) -> dict:
    """The outbox row of ``event`` (see :func:`add_event`), for a caller that
    inserts many in one statement (a bulk import) inside its own transaction."""
    event_id = uuid.uuid4()
    occurred_at = now or datetime.now(UTC)
    record = envelope(
        event.source,
        event.event_type,
        event.dump(),
        correlation_id,
        event_id=str(event_id),
        occurred_at=occurred_at,
    )
    headers = {"correlation_id": correlation_id, "call_id_stack": call_id_stack or []}
    headers.update(trace_context or {})
    return {
        "id": event_id,
        "event_type": event.event_type,
        "envelope": record,
        "headers": headers,
        "created_at": occurred_at,
    }


class OutboxRelay:
    """Publishes unsent outbox rows to the service's nameko event exchange."""

    def __init__(
        self,
        engine: sa.Engine,
        table: sa.Table,
        amqp_uri: str,
        service_name: str,
        config: dict | None = None,
        batch_size: int = 100,
    ):
        self.engine = engine
        self.table = table
        self.amqp_uri = amqp_uri
        self.service_name = service_name
        self.publisher = EventPublisher(amqp_uri, service_name, config)
        self.batch_size = batch_size
        self._lock = threading.Lock()

    def relay(self, event_ids: list[str] | None = None) -> int:
        """Publish unsent rows (only ``event_ids`` if given); returns how many.

        Raises whatever the broker or database raised: the rows then stay unsent.
        """
        t = self.table
        query = (
            sa.select(t.c.id, t.c.event_type, t.c.envelope, t.c.headers)
            .where(t.c.sent_at.is_(None))
            .order_by(t.c.created_at)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        if event_ids is not None:
            query = query.where(t.c.id.in_([uuid.UUID(i) for i in event_ids]))
        with self._lock, Session(self.engine) as session, session.begin():
            rows = session.execute(query).all()
            for row in rows:
                wall, perf = time.time(), time.perf_counter()
                with publish_span(
                    self.service_name, row.event_type, str(row.id), row.headers
                ) as headers:
                    self.publisher.publish_envelope(row.envelope, headers)
                _log.info(
                    "outbox event published",
                    extra={
                        "hop": "outbox_relay",
                        "service": self.service_name,
                        "event_id": str(row.id),
                        "event_type": row.event_type,
                        "correlation_id": row.headers.get("correlation_id"),
                        "parent_call_id": (row.headers.get("call_id_stack") or [None])[
                            -1
                        ],
                        "started_at": datetime.fromtimestamp(wall, UTC).isoformat(),
                        "duration_ms": round((time.perf_counter() - perf) * 1000, 3),
                        "outcome": "ok",
                    },
                )
            if rows:
                session.execute(
                    t.update()
                    .where(t.c.id.in_([r.id for r in rows]))
                    .values(sent_at=datetime.now(UTC))
                )
        return len(rows)

    def backlog(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(sa.func.count()).where(self.table.c.sent_at.is_(None))
            ).scalar_one()

    def oldest_unsent_at(self) -> datetime | None:
        """When the oldest event still waiting was written (None: nothing waits)."""
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(sa.func.min(self.table.c.created_at)).where(
                    self.table.c.sent_at.is_(None)
                )
            ).scalar_one()

    def close(self) -> None:
        self.publisher.close()
