"""Publishing otp's events from the delivery loops (outside any Nameko worker).

Events go to nameko's ``otp.events`` exchange in the platform's envelope, with
publisher confirms, so a consumer declared with servicekit's ``consume(SmsSent)``
receives them like any other event.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from datetime import UTC, datetime

from contracts.events import Event
from kombu import Connection
from nameko.standalone.events import get_event_exchange

from otp.delivery import EventPublisher


class AmqpEventPublisher(EventPublisher):
    def __init__(self, amqp_uri: str, service_name: str, config: dict):
        self.amqp_uri = amqp_uri
        self.source = service_name
        self.exchange = get_event_exchange(service_name, config)
        self._connection: Connection | None = None
        self._lock = threading.Lock()

    def publish(self, event: Event, correlation_id: str | None) -> None:
        event_type = event.event_type
        envelope = {
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "source": self.source,
            "occurred_at": datetime.now(UTC).isoformat(),
            "correlation_id": correlation_id,
            "data": event.dump(),
        }
        headers = {"nameko.correlation_id": correlation_id} if correlation_id else {}
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = Connection(
                        self.amqp_uri,
                        transport_options={"confirm_publish": True},
                        connect_timeout=5,
                    )
                self._connection.Producer().publish(
                    envelope,
                    exchange=self.exchange,
                    routing_key=event_type,
                    declare=[self.exchange],
                    serializer="json",
                    delivery_mode=2,
                    headers=headers,
                    retry=True,
                    retry_policy={"max_retries": 2, "interval_start": 0.2},
                )
            except Exception:
                self._close()
                raise

    def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self._connection.release()
            self._connection = None

    def close(self) -> None:
        with self._lock:
            self._close()
