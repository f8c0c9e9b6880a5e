"""The dependency providers every service declares, declared once.

A service class inherits one of these bases and adds only what is its own (its
database with its outbox table, its settings, the services it calls); what it
builds from its settings it declares as :class:`BuiltOnce`. Nameko finds
a service's providers with ``inspect.getmembers``, which sees inherited attributes,
and binds a fresh copy of each to every container: inheriting a provider is the
same as writing it out in the service class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nameko.extensions import DependencyProvider

from servicekit.context import CallId, CorrelationId
from servicekit.crypto import PersonalData
from servicekit.jsonlog import WorkerLogging
from servicekit.metrics import Metrics
from servicekit.redis import Redis
from servicekit.tracing import Tracing


class ObservedService:
    """JSON log lines, tracing and metrics for every worker: what every service has,
    so that no service can be started without them."""

    log = WorkerLogging()
    tracing = Tracing()
    metrics = Metrics()


class StoringService(ObservedService):
    """A service that keeps personal data: Redis, the personal-data cipher, and the
    ids of the current call that it hands on to the work it queues.

    The database stays in the service class, as ``db = Database(outbox=outbox)``:
    it names the service's own outbox table.
    """

    redis = Redis()
    crypto = PersonalData()
    correlation_id = CorrelationId()
    call_id = CallId()


class BuiltOnce(DependencyProvider):
    """Injects what ``build(container config)`` made once, at the container's start:
    a service's settings, or the objects it builds from them (a hasher, an
    identity authority), shared by every worker of the process.

    A bad setting raises in ``build`` and the service refuses to start.
    """

    def __init__(self, build: Callable[[dict], Any]):
        self.build = build

    def setup(self) -> None:
        self.value = self.build(self.container.config)

    def get_dependency(self, worker_ctx) -> Any:
        return self.value
