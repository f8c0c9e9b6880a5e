"""A service's real events, read back and delivered again as its outbox relay did.

For tests of how a consumer handles a duplicate or late delivery of an event
another service really emitted: :func:`emitted` reads the events from the emitting
service's outbox table, :func:`take` takes an undelivered one off a consumer's
queue (it then arrives late, when the test gives it back), :func:`publish` sends
events to the source's exchange with the same body and headers as the relay.

And whether what a service really wrote is what its contract declares:
:func:`outbox_envelopes` reads every event in a service's outbox and
:func:`contract_breaches` checks each against the model ``contracts`` declares for
its ``(source, event_type)`` (the contracts' ``ALL_SERVICES[name].events``).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from contracts import ALL_SERVICES
from contracts.events import Envelope
from contracts.events import Event as EventModel
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange
from pydantic import ValidationError


@dataclass(frozen=True)
class Event:
    envelope: dict
    headers: dict  # the AMQP headers (``nameko.correlation_id``...)

    @property
    def event_id(self) -> str:
        return self.envelope["event_id"]


def emitted(db_url: str, event_type: str, account_id: str) -> list[Event]:
    """The ``event_type`` events about ``account_id`` in a service's outbox (at
    ``db_url``), oldest first, with the headers its relay sends."""
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT envelope, headers FROM outbox WHERE event_type = :t"
                    " AND envelope->'data'->>'account_id' = :a ORDER BY created_at"
                ),
                {"t": event_type, "a": account_id},
            ).all()
    finally:
        engine.dispose()
    return [
        Event(
            row.envelope,
            {f"nameko.{k}": v for k, v in row.headers.items() if v is not None},
        )
        for row in rows
    ]


def take(amqp_uri: str, queue: str) -> Event | None:
    """Take the first message off ``queue`` (acknowledged: its consumer will not
    get it); None when the queue is empty."""
    with Connection(amqp_uri) as conn:
        message = Queue(queue, no_declare=True)(conn.default_channel).get()
        if message is None:
            return None
        event = Event(message.decode(), dict(message.headers or {}))
        message.ack()
        return event


def publish(amqp_uri: str, *events: Event) -> None:
    """Publish each event to its source's event exchange (publisher confirms),
    with the routing key, body and headers the relay used."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        for event in events:
            exchange = get_event_exchange(event.envelope["source"], {})
            producer.publish(
                event.envelope,
                exchange=exchange,
                routing_key=event.envelope["event_type"],
                declare=[exchange],
                serializer="json",
                delivery_mode=2,
                headers=event.headers,
                retry=True,
            )


def event_models() -> dict[tuple[str, str], type[EventModel]]:
    """Every event model a contract declares, by ``(source, event_type)``."""
    return {
        (model.source, model.event_type): model
        for contract in ALL_SERVICES.values()
        for model in contract.events
    }


def outbox_envelopes(db_url: str) -> list[dict]:
    """Every event envelope in a service's outbox (at ``db_url``), oldest first,
    sent or not."""
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    sa.text("SELECT envelope FROM outbox ORDER BY created_at")
                ).scalars()
            )
    finally:
        engine.dispose()


def contract_breaches(envelopes: list[dict]) -> list[str]:
    """What is wrong with each envelope against its contract, one line per
    breach: an event no contract declares, an envelope or a ``data`` its model
    does not accept, or ``data`` with fields the model does not have (a model
    ignores unknown fields, so they would be dropped silently at the consumer)."""
    models = event_models()
    breaches = []
    for envelope in envelopes:
        key = (envelope.get("source"), envelope.get("event_type"))
        name = f"{key[0]}.{key[1]} {envelope.get('event_id')}"
        model = models.get(key)
        if model is None:
            breaches.append(f"{name}: no contract declares this event")
            continue
        try:
            parsed = Envelope[model].model_validate(envelope)
        except ValidationError as exc:
            breaches.append(f"{name}: {exc}")
            continue
        if parsed.data.dump() != envelope["data"]:
            breaches.append(
                f"{name}: data {sorted(envelope['data'])} is not the model's "
                f"{sorted(parsed.data.dump())}"
            )
    return breaches
