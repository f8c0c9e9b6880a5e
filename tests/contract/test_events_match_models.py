"""Every event a service declares is a model with a reader: a consumer among the
platform's services, or a named outside subscriber; every consumer reads an event
its source declares, through its model (servicekit's ``consume(Model)``). What
the services really write is checked against the same models in
tests/integration/test_platform.py and tests/integration/otp/test_otp_live.py,
with the checker tested here."""

from __future__ import annotations

import importlib
import inspect

import pytest
from contracts import ALL_SERVICES
from contracts.accounts.events import PersonRegistered
from contracts.events import Event
from nameko.events import EventHandler

from tests.support.events import contract_breaches, event_models

declared = event_models


def consumed() -> set[tuple[str, str]]:
    """(source service, event type) of every event handler of every service."""
    return set(handlers())


def handlers() -> dict[tuple[str, str], list]:
    """Every event handler method of every service, by (source, event type)."""
    found: dict[tuple[str, str], list] = {}
    for name in ALL_SERVICES:
        module = importlib.import_module(f"{name}.service")
        for cls in vars(module).values():
            if not inspect.isclass(cls) or getattr(cls, "name", None) != name:
                continue
            for value in vars(cls).values():
                for entrypoint in getattr(value, "nameko_entrypoints", ()):
                    if isinstance(entrypoint, EventHandler):
                        key = (entrypoint.source_service, entrypoint.event_type)
                        found.setdefault(key, []).append(value)
    return found


@pytest.mark.parametrize("name", sorted(ALL_SERVICES))
def test_each_declared_event_is_a_model_of_its_source(name):
    for event in ALL_SERVICES[name].events:
        assert issubclass(event, Event), event
        assert event.source == name, event
        assert event.event_type, event


def test_every_declared_event_has_a_consumer_or_a_named_subscriber():
    readers = consumed()
    for key, event in declared().items():
        assert key in readers or event.subscribers.strip(), (
            f"{key}: no service consumes it and no outside subscriber is named"
        )


def test_every_consumer_reads_an_event_its_source_declares():
    events = declared()
    for key in consumed():
        assert key in events, f"{key} is consumed but not declared by its source"


def test_every_consumer_receives_the_model_of_its_event():
    models = declared()
    for key, methods in handlers().items():
        for method in methods:
            assert getattr(method, "consumes", None) is models.get(key), (
                f"{method.__qualname__} reads {key} without its model "
                "(servicekit.idempotency.consume(Model))"
            )


def _registered(**data) -> dict:
    return {
        "event_id": "evt-1",
        "event_type": "person_registered",
        "source": "accounts",
        "occurred_at": "2030-01-02T03:04:05+00:00",
        "correlation_id": None,
        "data": data,
    }


GOOD = PersonRegistered(
    account_id="a1",
    account_kind="person",
    identity_region="mainland",
    doc_type="resident_id",
).dump()


def test_the_outbox_checker_accepts_a_declared_event_and_names_each_breach():
    assert contract_breaches([_registered(**GOOD)]) == []
    unknown = {**_registered(**GOOD), "event_type": "person_vanished"}
    wrong = _registered(**{**GOOD, "account_kind": "robot"})
    extra = _registered(**GOOD, name="张伟")  # personal data the model does not carry
    breaches = contract_breaches([unknown, wrong, extra])
    assert len(breaches) == 3
    assert "no contract declares" in breaches[0]
    assert "account_kind" in breaches[1]
    assert "'name'" in breaches[2]
