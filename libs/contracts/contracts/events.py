"""Events: the envelope every event travels in, and the base of every payload model.

``{event_id, event_type, source, occurred_at, correlation_id, data}``. Events carry
ids and facts, never secrets, codes, passwords or raw personal data.

Each service's contract module declares its events as :class:`Event` models
(``source`` and ``event_type`` as class variables) and lists them on its client
(``AccountsClient.events``). The emitter publishes a model (servicekit's
``WorkerDatabase.emit``, through the outbox); a consumer declares the model it
consumes (servicekit's ``consume(PersonRegistered)``) and receives an
:class:`Envelope` whose ``data`` is that model. An event that no service of the
platform consumes names its outside subscriber in ``subscribers``; a contract
test checks every event has one or the other.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Generic, TypeVar

from pydantic import BaseModel

from contracts.models import Model

D = TypeVar("D", bound="Event")


class Event(Model):
    """The payload (``data``) of one kind of event."""

    source: ClassVar[str] = ""
    event_type: ClassVar[str] = ""
    subscribers: ClassVar[str] = ""
    """Who outside the platform's services reads this event (empty when a service
    of the platform consumes it)."""


class Envelope(BaseModel, Generic[D]):
    """One delivered event: its identity, its trace and its payload model."""

    event_id: str
    event_type: str
    source: str
    occurred_at: datetime
    correlation_id: str | None = None
    data: D
