"""The one way an event leaves a service: an envelope published to the service's
nameko event exchange, persistent, with publisher confirms.

The outbox relay publishes the envelopes a worker wrote in its transaction
(``servicekit.outbox``); a loop that runs outside any Nameko worker and has no
database (otp's SMS delivery) publishes a contract event model directly with
:meth:`EventPublisher.publish`. Either way the consumer (``consume(Model)``) gets the
same envelope: ``{event_id, event_type, source, occurred_at, correlation_id, data}``.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from contracts.events import Event
from kombu import Connection
from nameko.constants import DEFAULT_SERIALIZER
from nameko.standalone.events import get_event_exchange


def envelope(
    source: str,
    event_type: str,
    data: dict[str, Any],
    correlation_id: str | None,
    *,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    """The platform's event envelope (``contracts.events.Envelope``) as JSON data."""
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": event_type,
        "source": source,
        "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
        "correlation_id": correlation_id,
        "data": data,
    }


class EventPublisher:
    """Publishes envelopes for one service; one connection, used by one thread at a
    time, reopened after a failure."""

    def __init__(self, amqp_uri: str, service_name: str, config: dict | None = None):
        self.amqp_uri = amqp_uri
        self.source = service_name
        self.exchange = get_event_exchange(service_name, config or {})
        self._connection: Connection | None = None
        self._lock = threading.Lock()

    def publish(self, event: Event, correlation_id: str | None) -> None:
        """Publish a contract event model in a new envelope."""
        data = envelope(self.source, event.event_type, event.dump(), correlation_id)
        self.publish_envelope(data, {"correlation_id": correlation_id})

    def publish_envelope(self, data: dict[str, Any], headers: dict[str, Any]) -> None:
        """Publish an envelope as it is; ``headers`` become nameko's context headers
        (``correlation_id``, ``call_id_stack``, trace context). Raises whatever the
        broker raised (the caller keeps the event and tries again)."""
        with self._lock:
            try:
                self._ensure_connection().Producer().publish(
                    data,
                    exchange=self.exchange,
                    routing_key=data["event_type"],
                    declare=[self.exchange],
                    serializer=DEFAULT_SERIALIZER,
                    delivery_mode=2,
                    headers={
                        f"nameko.{key}": value
                        for key, value in headers.items()
                        if value is not None
                    },
                    retry=True,
                    retry_policy={"max_retries": 2, "interval_start": 0.2},
                )
            except Exception:
                self._close()
                raise

    def _ensure_connection(self) -> Connection:
        if self._connection is None:
            self._connection = Connection(
                self.amqp_uri,
                transport_options={"confirm_publish": True},
                connect_timeout=5,
            )
        return self._connection

    def _close(self) -> None:
        if self._connection is not None:
            # closing a broken connection may raise; nothing to do about it
            with contextlib.suppress(Exception):
                self._connection.release()
            self._connection = None

    def close(self) -> None:
        with self._lock:
            self._close()
