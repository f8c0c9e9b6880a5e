"""Publishing a service's events from a test, exactly as its outbox relay would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from kombu import Connection
from nameko.standalone.events import get_event_exchange


def envelope(
    source: str,
    event_type: str,
    data: dict,
    correlation_id: str | None = None,
    occurred_at: datetime | None = None,
) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "source": source,
        "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
        "correlation_id": correlation_id,
        "data": data,
    }


def publish(amqp_uri: str, *envelopes: dict) -> None:
    """Publish each envelope to its source's event exchange (publisher confirms)."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        for env in envelopes:
            exchange = get_event_exchange(env["source"], {})
            headers = {}
            if env.get("correlation_id"):
                headers["nameko.correlation_id"] = env["correlation_id"]
            producer.publish(
                env,
                exchange=exchange,
                routing_key=env["event_type"],
                declare=[exchange],
                serializer="json",
                delivery_mode=2,
                headers=headers,
                retry=True,
            )
