"""Every event a service declares is a model with a reader: a consumer among the
platform's services, or a named outside subscriber; every consumer reads an event
its source declares."""

from __future__ import annotations

import importlib
import inspect

import pytest
from contracts import ALL_SERVICES
from contracts.events import Event
from nameko.events import EventHandler


def consumed() -> set[tuple[str, str]]:
    """(source service, event type) of every event handler of every service."""
    found = set()
    for name in ALL_SERVICES:
        module = importlib.import_module(f"{name}.service")
        for cls in vars(module).values():
            if not inspect.isclass(cls) or getattr(cls, "name", None) != name:
                continue
            for value in vars(cls).values():
                for entrypoint in getattr(value, "nameko_entrypoints", ()):
                    if isinstance(entrypoint, EventHandler):
                        found.add((entrypoint.source_service, entrypoint.event_type))
    return found


def declared() -> dict[tuple[str, str], type[Event]]:
    return {
        (event.source, event.event_type): event
        for client in ALL_SERVICES.values()
        for event in getattr(client, "events", ())
    }


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
