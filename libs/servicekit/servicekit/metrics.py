"""Prometheus metrics of a Nameko service, served on the service's own HTTP port.

Declare ``metrics = Metrics()`` on a service. Config: ``METRICS_PORT`` (empty or 0:
no HTTP server; the metrics are still counted) and ``METRICS_HOST`` (default
``0.0.0.0``). ``GET http://<host>:<port>/metrics`` answers in the Prometheus text
format. The server is an eventlet WSGI server in a thread the container manages, so
a scrape never takes a worker slot and is not itself counted as an entrypoint.

What is measured (every name below has a ``service`` label):

- ``nameko_entrypoint_calls_total{entrypoint, hop, outcome}``: workers finished, by
  outcome ``ok`` | ``rejected`` (an expected error: the caller's mistake) |
  ``error`` (a bug or a store down);
- ``nameko_entrypoint_duration_seconds{entrypoint, hop}``: how long they ran;
- ``nameko_workers_busy`` and ``nameko_workers_max``: running workers against
  ``max_workers`` (busy = max means calls queue in RabbitMQ);
- ``outbox_backlog_events`` and ``outbox_oldest_unsent_age_seconds``: events
  written but not yet published, read from the database at scrape time (the same
  value from every copy of a service: they share the table). No sample when the
  database did not answer within the scrape's budget;
- ``work_items{kind, state}`` (``waiting`` | ``retrying``),
  ``work_item_attempts_total{kind, outcome}`` and
  ``work_item_duration_seconds{kind}``: durable work items; the work-queue code
  reports them with :func:`report_work_items` and :func:`record_work_item_attempt`;
- the client library's ``process_*`` and ``python_*`` metrics (memory, CPU, fds).

Labels hold names the code defines, never values a caller sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import eventlet
import eventlet.wsgi
from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from servicekit.jsonlog import entrypoint_kind, outcome_of

_log = logging.getLogger("servicekit.metrics")

# Entrypoints answer in milliseconds; argon2 and outside calls take longer.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SCRAPE_QUERY_BUDGET = 2.0  # seconds the outbox queries may take during a scrape

ENTRYPOINT_CALLS = Counter(
    "nameko_entrypoint_calls",
    "Workers finished, by entrypoint and outcome (ok, rejected, error).",
    ["service", "entrypoint", "hop", "outcome"],
)
ENTRYPOINT_DURATION = Histogram(
    "nameko_entrypoint_duration_seconds",
    "How long workers ran, by entrypoint.",
    ["service", "entrypoint", "hop"],
    buckets=DURATION_BUCKETS,
)
WORKERS_BUSY = Gauge(
    "nameko_workers_busy", "Workers running now in this process.", ["service"]
)
WORKERS_MAX = Gauge(
    "nameko_workers_max", "max_workers of this process (its concurrency).", ["service"]
)
WORK_ITEMS = Gauge(
    "work_items",
    "Durable work items by state (waiting: due or not yet tried; retrying: failed "
    "at least once, tried again later).",
    ["service", "kind", "state"],
)
WORK_ITEM_ATTEMPTS = Counter(
    "work_item_attempts",
    "Attempts of durable work items, by outcome (ok, retry, failed).",
    ["service", "kind", "outcome"],
)
WORK_ITEM_DURATION = Histogram(
    "work_item_duration_seconds",
    "How long one attempt of a durable work item ran.",
    ["service", "kind"],
    buckets=DURATION_BUCKETS,
)


def report_work_items(service: str, kind: str, *, waiting: int, retrying: int) -> None:
    """The work queue's hook: how many items of ``kind`` wait and retry right now.

    Call it whenever the queue has counted (each poll); every copy of a service
    reports the shared table's counts, so aggregate with ``max``, not ``sum``.
    """
    WORK_ITEMS.labels(service, kind, "waiting").set(waiting)
    WORK_ITEMS.labels(service, kind, "retrying").set(retrying)


def record_work_item_attempt(
    service: str, kind: str, outcome: str, seconds: float
) -> None:
    """Count one attempt of a work item (outcome as in ``jsonlog.log_work_item``)."""
    WORK_ITEM_ATTEMPTS.labels(service, kind, outcome).inc()
    WORK_ITEM_DURATION.labels(service, kind).observe(seconds)


class OutboxCollector(Collector):
    """Reads each registered service's outbox backlog when Prometheus scrapes."""

    def __init__(self):
        self._sources: dict[str, Callable[[], list]] = {}

    def watch(self, service: str, relays: Callable[[], list]) -> None:
        self._sources[service] = relays

    def forget(self, service: str) -> None:
        self._sources.pop(service, None)

    def describe(self) -> Iterator:
        return iter(())  # samples depend on what is registered at scrape time

    def collect(self) -> Iterator[GaugeMetricFamily]:
        backlog = GaugeMetricFamily(
            "outbox_backlog_events",
            "Events written to the outbox and not yet published.",
            labels=["service"],
        )
        age = GaugeMetricFamily(
            "outbox_oldest_unsent_age_seconds",
            "Age of the oldest event not yet published (0 when none waits).",
            labels=["service"],
        )
        for service, relays in list(self._sources.items()):
            for relay in relays():
                measured = _measure_outbox(relay)
                if measured is None:
                    continue
                count, oldest = measured
                backlog.add_metric([service], count)
                seconds = (
                    (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
                )
                age.add_metric([service], max(seconds, 0.0))
        yield backlog
        yield age


def _measure_outbox(relay) -> tuple[int, datetime | None] | None:
    # A scrape must answer even when the database does not: give up quietly.
    with eventlet.Timeout(SCRAPE_QUERY_BUDGET, False):
        try:
            return relay.backlog(), relay.oldest_unsent_at()
        except Exception as exc:  # noqa: BLE001 - a scrape reports, never raises
            _log.debug("outbox backlog unavailable: %s", exc)
            return None
    _log.debug("outbox backlog query exceeded %ss", SCRAPE_QUERY_BUDGET)
    return None


OUTBOX = OutboxCollector()
REGISTRY.register(OUTBOX)


class Metrics(DependencyProvider):
    """Counts every worker and serves ``/metrics``; see the module docstring."""

    def setup(self):
        config = self.container.config
        self.service = self.container.service_name
        self.port = int(config.get("METRICS_PORT") or 0)
        # a container's metrics port is scraped from outside the container
        self.host = config.get("METRICS_HOST") or "0.0.0.0"  # noqa: S104
        self._started: dict = {}
        self._busy: set = set()
        self._server = None
        self._socket = None
        WORKERS_MAX.labels(self.service).set(float(self.container.max_workers))
        OUTBOX.watch(self.service, self._relays)

    def _relays(self) -> list:
        """The outbox relays of this container (its Database providers' ones).

        Duck-typed on purpose: importing servicekit.outbox here would load
        SQLAlchemy lazily, during a scrape, in services that have no database.
        """
        return [
            relay
            for dependency in self.container.dependencies
            if hasattr(relay := getattr(dependency, "relay", None), "backlog")
            and hasattr(relay, "oldest_unsent_at")
        ]

    def start(self):
        if not self.port:
            return
        self._socket = eventlet.listen((self.host, self.port))
        app = make_wsgi_app(REGISTRY)
        self._server = self.container.spawn_managed_thread(
            lambda: eventlet.wsgi.server(
                self._socket, app, log_output=False, socket_timeout=10
            ),
            identifier="metrics-http",
        )
        _log.info(
            "metrics served on http://%s:%s/metrics",
            self.host,
            self._socket.getsockname()[1],
        )

    def stop(self):
        OUTBOX.forget(self.service)
        if self._server is not None:
            self._server.kill()
            self._server = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    kill = stop

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()
        self._busy.add(worker_ctx)
        WORKERS_BUSY.labels(self.service).inc()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        entrypoint = worker_ctx.entrypoint
        hop = entrypoint_kind(entrypoint)
        name = entrypoint.method_name
        ENTRYPOINT_CALLS.labels(
            self.service, name, hop, outcome_of(entrypoint, exc_info)
        ).inc()
        if started is not None:
            ENTRYPOINT_DURATION.labels(self.service, name, hop).observe(
                time.perf_counter() - started
            )

    def worker_teardown(self, worker_ctx):
        self._started.pop(worker_ctx, None)
        if worker_ctx in self._busy:
            self._busy.discard(worker_ctx)
            WORKERS_BUSY.labels(self.service).dec()
