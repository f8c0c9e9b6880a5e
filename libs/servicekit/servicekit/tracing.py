"""OpenTelemetry spans for every Nameko worker, one trace across every service.

Declare ``tracing = Tracing()`` on a service. Each RPC, event handler and timer worker
gets a span (kind SERVER, CONSUMER, INTERNAL) that continues the trace found in the
worker's Nameko context data (``traceparent``, as the W3C header); the worker's own
span then replaces it in the context data, so the RPCs it makes and the events it
emits (nameko adds context data to every message; the outbox stores it, see
``outbox.add_event``) continue from it. The outbox relay adds a PRODUCER span per
published event.

Where the spans go is chosen by the standard variables, read when the service starts:
``OTEL_TRACES_EXPORTER`` = ``none`` (the default: no spans are even made, and the
trace context passes through untouched) | ``otlp`` (OTLP over HTTP/protobuf to
``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) |
``console``, or a comma-separated list; ``OTEL_SERVICE_NAME`` (default: the Nameko
service name); ``OTEL_TRACES_SAMPLER``, ``OTEL_BSP_*`` and ``OTEL_EXPORTER_OTLP_*``
as the SDK documents them; ``OTEL_SDK_DISABLED=true`` turns it all off.

Spans are exported by a ``BatchSpanProcessor``: ending a span only appends it to an
in-memory queue (dropped when full), a background (green)thread exports. A slow or
dead collector therefore costs a request nothing (tests/integration prove it).

No contextvars: under ``nameko run`` each greenlet has its own contextvars context
(greenlet >= 0.4.17; checked with 8 concurrent workers, each kept its own value across
eventlet switches), which would work, but nothing here relies on it. The parent of
every span is passed explicitly (``context=``) and a worker's span is kept per worker
context. The batch processor's thread is a green thread under ``nameko run`` and
exports cooperatively (checked: console and OTLP exporters, the hub never blocked
more than 20 ms while exports to a dead port were retried).

One limit of nameko 2.14: its own ``EventDispatcher`` and ``Publisher`` copy the
context data when they are *injected*, before ``worker_setup``, so an event sent
with them carries the caller's trace context (the handler's span becomes a sibling
of the sender's, in the same trace). Our events go through the outbox, which reads
the context when ``emit()`` is called, so they are children of the emitting worker.
RPCs made with ``RpcProxy`` read it per call and are children too.

Attributes come from an allow-list: names of services, methods, events and routes,
ids the platform makes (call id, correlation id, event id) and outcomes. Never
arguments, results, exception messages, or anything a person typed.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from opentelemetry import trace
from opentelemetry.context import Context

# Imported here, not when a service starts: nameko sets its extensions up in
# parallel greenthreads, and a first import racing there is the trap stack-notes
# describes for psycopg.
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from servicekit.jsonlog import outcome_of

_log = logging.getLogger("servicekit.tracing")

TRACE_HEADERS = ("traceparent", "tracestate")
SHUTDOWN_TIMEOUT_MS = 2000  # how long stopping a service may wait for spans to leave

_propagator = TraceContextTextMapPropagator()


# --- configuration from the environment -------------------------------------------------


def exporter_names(env: Mapping[str, str]) -> list[str]:
    """The exporters ``OTEL_TRACES_EXPORTER`` asks for (empty: none)."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    names = [
        n.strip().lower() for n in env.get("OTEL_TRACES_EXPORTER", "none").split(",")
    ]
    return [n for n in names if n and n != "none"]


def make_exporters(names: list[str]) -> list:
    exporters = []
    for name in names:
        if name == "otlp":
            exporters.append(OTLPSpanExporter())  # HTTP/protobuf; no gRPC installed
        elif name == "console":
            exporters.append(ConsoleSpanExporter())
        else:
            # A typo must not take a service down: say so once and carry on.
            _log.warning("OTEL_TRACES_EXPORTER: unknown exporter %r ignored", name)
    return exporters


class Pipeline:
    """A TracerProvider and the exporters behind its batch processors."""

    def __init__(self, provider, exporters: list):
        self.provider = provider
        self.exporters = exporters
        self.tracer: Tracer = provider.get_tracer("servicekit")

    def shutdown(self, timeout_ms: int = SHUTDOWN_TIMEOUT_MS) -> None:
        """Export what is queued, waiting at most about ``timeout_ms``.

        ``BatchSpanProcessor.shutdown()`` takes no timeout and waits as long as the
        exporter retries (10 s against a dead collector): it runs aside, and when
        the time is up the exporters are shut down, which ends their retries.
        """
        _log.debug("stopping span export")
        done = threading.Event()

        def shut():
            try:
                self.provider.shutdown()
            except Exception:  # noqa: BLE001 - stopping must not fail on telemetry
                _log.warning("span export did not stop cleanly", exc_info=True)
            done.set()

        threading.Thread(target=shut, name="otel-shutdown", daemon=True).start()
        if not done.wait(timeout_ms / 1000):
            _log.warning("spans not exported within %d ms were dropped", timeout_ms)
            for exporter in self.exporters:
                try:
                    exporter.shutdown()
                except Exception:  # noqa: BLE001 - stopping must not fail on telemetry
                    _log.debug("exporter did not shut down cleanly", exc_info=True)
            done.wait(1.0)
        _log.debug("span export stopped")


def make_pipeline(service_name: str, env: Mapping[str, str] | None = None):
    """A :class:`Pipeline` exporting in batches as the environment says, or None.

    Never made at import time: under eventlet the batch processor's thread must be
    created after monkey patching (nameko run patches before loading the service).
    """
    env = os.environ if env is None else env
    exporters = make_exporters(exporter_names(env))
    if not exporters:
        return None
    attributes = {} if env.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: service_name}
    # shutdown_on_exit=False: its atexit handler would wait as long as a dead
    # collector makes it; ours waits SHUTDOWN_TIMEOUT_MS.
    provider = TracerProvider(
        resource=Resource.create(attributes), shutdown_on_exit=False
    )
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return Pipeline(provider, exporters)


class _Tracers:
    """One pipeline per service name per process, shared by its users (the
    Tracing dependency, the outbox relay); counted, so a container that stops
    does not cut off another one of the same service (tests run several)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: dict[str, list] = {}  # name -> [pipeline or None, users]

    def acquire(self, service_name: str) -> Tracer | None:
        with self._lock:
            entry = self._entries.get(service_name)
            if entry is None:
                entry = self._entries[service_name] = [make_pipeline(service_name), 0]
            entry[1] += 1
            return entry[0].tracer if entry[0] else None

    def release(self, service_name: str) -> None:
        with self._lock:
            entry = self._entries.get(service_name)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] > 0:
                return
            del self._entries[service_name]
        if entry[0] is not None:
            entry[0].shutdown()

    def current(self, service_name: str) -> Tracer | None:
        entry = self._entries.get(service_name)
        return entry[0].tracer if entry and entry[0] else None

    def shutdown_all(self) -> None:
        with self._lock:
            entries, self._entries = list(self._entries.values()), {}
        for pipeline, _ in entries:
            if pipeline is not None:
                pipeline.shutdown()


tracers = _Tracers()
atexit.register(tracers.shutdown_all)


# --- context carried in Nameko context data and outbox headers --------------------------


def extract(carrier: Mapping[str, Any] | None) -> Context:
    """The trace context in context data or event headers (empty: a new trace)."""
    headers = {k: v for k, v in (carrier or {}).items() if k in TRACE_HEADERS}
    return _propagator.extract(headers)


def trace_headers(span: Span) -> dict[str, str]:
    """``traceparent`` (and ``tracestate``) that make the next hop a child of ``span``."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=trace.set_span_in_context(span))
    return carrier


def trace_context_of(data: Mapping[str, Any] | None) -> dict[str, str]:
    """The trace headers present in context data, to store with an outbox event."""
    return {k: str(v) for k, v in (data or {}).items() if k in TRACE_HEADERS and v}


# --- the worker span ---------------------------------------------------------------------


def worker_span_shape(service_name: str, entrypoint) -> tuple[str, SpanKind, dict]:
    """Name, kind and attributes of a worker's span: names only, no arguments."""
    method = entrypoint.method_name
    attributes: dict[str, Any] = {"nameko.entrypoint": method}
    if isinstance(entrypoint, Rpc):
        attributes.update(
            {"rpc.system": "nameko", "rpc.service": service_name, "rpc.method": method}
        )
        return f"{service_name}/{method}", SpanKind.SERVER, attributes
    if isinstance(entrypoint, EventHandler):
        destination = f"{entrypoint.source_service}.{entrypoint.event_type}"
        attributes.update(
            {
                "messaging.system": "rabbitmq",
                "messaging.operation.type": "process",
                "messaging.destination.name": destination,
                "nameko.event_source": entrypoint.source_service,
                "nameko.event_type": entrypoint.event_type,
            }
        )
        return f"process {destination}", SpanKind.CONSUMER, attributes
    if isinstance(entrypoint, Timer):
        return f"{service_name} timer {method}", SpanKind.INTERNAL, attributes
    return f"{service_name}/{method}", SpanKind.INTERNAL, attributes


def end_span(span: Span, outcome: str, error: BaseException | None = None) -> None:
    span.set_attribute("platform.outcome", outcome)
    if error is not None:
        # the class and the contract's code only: an exception's message may
        # quote what a person typed
        span.set_attribute("error.type", type(error).__name__)
        code = getattr(error, "error_code", None)
        if code:
            span.set_attribute("platform.error_code", str(code))
    if outcome == "error":
        span.set_status(
            Status(StatusCode.ERROR, type(error).__name__ if error else None)
        )
    span.end()


@contextmanager
def ending(span: Span) -> Iterator[Span]:
    """End ``span`` when the block ends: "error" with what escaped it, else "ok"."""
    try:
        yield span
    except BaseException as exc:
        end_span(span, "error", exc)
        raise
    end_span(span, "ok")


class WorkerTracing:
    """What a worker sees: its span, and child spans with explicit parenting."""

    def __init__(self, tracer: Tracer | None, spans: dict, worker_ctx):
        self._tracer = tracer
        self._spans = spans
        self._worker_ctx = worker_ctx

    @property
    def span(self) -> Span | None:
        # looked up when used: nameko injects dependencies before worker_setup
        return self._spans.get(self._worker_ctx)

    @contextmanager
    def span_for(
        self, name: str, attributes: Mapping[str, Any] | None = None
    ) -> Iterator[Span | None]:
        """A child span around a slow step (a call to an outside system).

        ``attributes`` follow the module's rule: names and platform ids only.
        """
        parent = self.span
        if self._tracer is None or parent is None:
            yield None
            return
        span = self._tracer.start_span(
            name,
            context=trace.set_span_in_context(parent),
            attributes=dict(attributes or {}),
        )
        with ending(span):
            yield span

    def headers(self) -> dict[str, str]:
        """Trace headers for what leaves outside nameko (a work item's row)."""
        span = self.span
        if span is None:
            return trace_context_of(self._worker_ctx.data)
        return trace_headers(span)


class Tracing(DependencyProvider):
    """A span per worker; see the module docstring."""

    def setup(self):
        self._spans: dict = {}
        self.tracer = tracers.acquire(self.container.service_name)

    def stop(self):
        tracers.release(self.container.service_name)

    kill = stop

    def worker_setup(self, worker_ctx):
        if self.tracer is None:
            return  # the incoming trace context passes through untouched
        name, kind, attributes = worker_span_shape(
            self.container.service_name, worker_ctx.entrypoint
        )
        attributes["nameko.call_id"] = worker_ctx.call_id
        correlation_id = worker_ctx.data.get("correlation_id")
        if correlation_id:
            attributes["platform.correlation_id"] = str(correlation_id)
        if kind is SpanKind.CONSUMER:
            envelope = worker_ctx.args[0] if worker_ctx.args else None
            if isinstance(envelope, dict) and envelope.get("event_id"):
                attributes["messaging.message.id"] = str(envelope["event_id"])
        span = self.tracer.start_span(
            name, context=extract(worker_ctx.data), kind=kind, attributes=attributes
        )
        self._spans[worker_ctx] = span
        # What this worker sends next (RPCs, events, outbox rows) continues from it.
        for key in TRACE_HEADERS:
            worker_ctx.data.pop(key, None)
        worker_ctx.data.update(trace_headers(span))

    def get_dependency(self, worker_ctx) -> WorkerTracing:
        return WorkerTracing(self.tracer, self._spans, worker_ctx)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        span = self._spans.pop(worker_ctx, None)
        if span is None:
            return
        outcome = outcome_of(worker_ctx.entrypoint, exc_info)
        end_span(span, outcome, exc_info[1] if exc_info else None)

    def worker_teardown(self, worker_ctx):
        # worker_result is not called when a worker dies before it runs
        span = self._spans.pop(worker_ctx, None)
        if span is not None:
            end_span(span, "error")


# --- the outbox relay ----------------------------------------------------------------------


@contextmanager
def publish_span(
    service_name: str, event_type: str, event_id: str, headers: Mapping[str, Any]
) -> Iterator[dict[str, Any]]:
    """Wrap one outbox publication in a PRODUCER span; yields the headers to publish
    (the stored ones, with the trace context pointing at this span)."""
    tracer = tracers.current(service_name)
    stored = dict(headers)
    if tracer is None or not trace_context_of(stored):
        yield stored  # nothing to continue, or tracing off: publish as stored
        return
    destination = f"{service_name}.{event_type}"
    span = tracer.start_span(
        f"publish {destination}",
        context=extract(stored),
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "rabbitmq",
            "messaging.operation.type": "send",
            "messaging.destination.name": destination,
            "messaging.message.id": str(event_id),
            "platform.correlation_id": str(stored.get("correlation_id") or ""),
        },
    )
    published = {
        **{k: v for k, v in stored.items() if k not in TRACE_HEADERS},
        **trace_headers(span),
    }
    with ending(span):
        yield published
