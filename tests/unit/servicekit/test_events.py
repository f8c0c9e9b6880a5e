"""servicekit's two ends of an event speak only in contract models: ``emit`` takes
a model of the emitting service, ``consume`` a model class whose handler receives
an ``Envelope`` of it (issue 11: no untyped payload crosses a service boundary)."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import ClassVar

import pytest
import sqlalchemy as sa
from contracts.events import Envelope, Event
from servicekit.database import WorkerDatabase
from servicekit.idempotency import consume
from servicekit.outbox import outbox_table


class ThingHappened(Event):
    source: ClassVar[str] = "things"
    event_type: ClassVar[str] = "thing_happened"

    thing_id: str
    count: int
    note: str | None = None


class OtherThing(Event):
    source: ClassVar[str] = "others"
    event_type: ClassVar[str] = "other_thing"

    other_id: str


ENVELOPE = {
    "event_id": "evt-1",
    "event_type": "thing_happened",
    "source": "things",
    "occurred_at": "2030-01-02T03:04:05+00:00",
    "correlation_id": "corr-1",
    "data": {"thing_id": "t1", "count": 2},
}


class Consumer:
    def __init__(self):
        self.seen: list = []

    @consume(ThingHappened)
    def on_thing(self, envelope: Envelope[ThingHappened]) -> str:
        self.seen.append(envelope)
        return "handled"


def test_a_consumer_receives_an_envelope_of_its_model():
    consumer = Consumer()
    assert consumer.on_thing(ENVELOPE) == "handled"
    (envelope,) = consumer.seen
    assert isinstance(envelope.data, ThingHappened)
    assert (envelope.event_id, envelope.correlation_id) == ("evt-1", "corr-1")
    assert (envelope.data.thing_id, envelope.data.count) == ("t1", 2)
    assert envelope.occurred_at.year == 2030
    assert Consumer.on_thing.consumes is ThingHappened


def test_a_payload_that_breaks_the_model_is_logged_and_dropped(caplog):
    consumer = Consumer()
    bad = {**ENVELOPE, "data": {"thing_id": "t1", "count": "many"}}
    with caplog.at_level(logging.ERROR, logger="servicekit.consume"):
        assert consumer.on_thing(bad) is None
    assert consumer.seen == []
    assert "things.thing_happened evt-1 does not match its model" in caplog.text


@pytest.mark.parametrize("untyped", ["things", ("things", "thing_happened"), dict])
def test_consume_takes_only_an_event_model(untyped):
    args = untyped if isinstance(untyped, tuple) else (untyped,)
    with pytest.raises(TypeError):
        consume(*args)


class FakeSession:
    def __init__(self):
        self.rows: list[dict] = []

    def execute(self, statement):
        self.rows.append(statement.compile().params)


def worker_db(service_name: str = "things") -> tuple[WorkerDatabase, FakeSession]:
    provider = SimpleNamespace(
        container=SimpleNamespace(service_name=service_name),
        outbox=outbox_table(sa.MetaData()),
    )
    worker_ctx = SimpleNamespace(data={"correlation_id": "corr-9"}, call_id_stack=[])
    db = WorkerDatabase(provider, worker_ctx)
    session = FakeSession()
    db._session = session
    return db, session


def test_emit_writes_the_dumped_model_under_its_event_type():
    db, session = worker_db()
    event_id = db.emit(ThingHappened(thing_id="t1", count=3))
    (row,) = session.rows
    assert db.emitted == [event_id] and str(row["id"]) == event_id
    assert row["event_type"] == "thing_happened"
    envelope = row["envelope"]
    assert (envelope["source"], envelope["correlation_id"]) == ("things", "corr-9")
    assert envelope["data"] == {"thing_id": "t1", "count": 3}  # unset fields left out


def test_emit_takes_only_a_model_of_the_emitting_service():
    db, session = worker_db()
    with pytest.raises(TypeError):
        db.emit("thing_happened", {"thing_id": "t1", "count": 3})
    with pytest.raises(TypeError):
        db.emit({"thing_id": "t1", "count": 3})
    with pytest.raises(ValueError, match="an event of 'others'"):
        db.emit(OtherThing(other_id="o1"))
    assert session.rows == [] and db.emitted == []
