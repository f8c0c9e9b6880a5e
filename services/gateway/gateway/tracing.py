"""OpenTelemetry for the gateway: a SERVER span per request, a CLIENT span per RPC.

The trace context rides to the services in the RPC's nameko context data
(``traceparent``), so one trace spans the gateway and every service. Exporters are
chosen as in the services (``OTEL_TRACES_EXPORTER`` = ``none`` (default) |
``otlp`` | ``console``, ``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_SERVICE_NAME``,
``OTEL_TRACES_SAMPLER``, ``OTEL_BSP_*``), configured once per gunicorn worker after
the fork. (The services' version lives in servicekit, which the gateway may not
import; this one is its small twin.)

Spans leave through a ``BatchSpanProcessor``: ending one appends it to a queue, a
background thread exports, so a dead collector never delays a request.

The gateway is the public edge: a ``traceparent`` sent by a client is ignored and
every request starts its own trace. Span attributes are the method, the route
*template*, the status, the request id and names of services and methods: never
the URL (a query string may hold personal data), a body, a header, or the client's
address.
"""

from __future__ import annotations

import atexit
import contextvars
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_log = logging.getLogger("gateway.tracing")

TRACE_HEADERS = ("traceparent", "tracestate")
SHUTDOWN_TIMEOUT_S = 2.0
# Probes: frequent, never interesting as traces.
UNTRACED_PATHS = frozenset({"/api/v1/health"})

_propagator = TraceContextTextMapPropagator()
_current: contextvars.ContextVar[Span | None] = contextvars.ContextVar(
    "gateway_span", default=None
)


class _State:
    def __init__(self):
        self.tracer: Tracer | None = None
        self.provider = None
        self.exporters: list = []


_state = _State()


def exporter_names(env: Mapping[str, str]) -> list[str]:
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    names = [
        n.strip().lower() for n in env.get("OTEL_TRACES_EXPORTER", "none").split(",")
    ]
    return [n for n in names if n and n != "none"]


def configure(
    service_name: str = "gateway",
    env: Mapping[str, str] | None = None,
    exporters: list | None = None,
) -> Tracer | None:
    """Set up span export from the environment (or the given exporters, in tests).

    Call it in each worker process, after gunicorn forked.
    """
    env = os.environ if env is None else env
    if exporters is None:
        exporters = []
        for name in exporter_names(env):
            if name == "otlp":
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                    OTLPSpanExporter,
                )

                exporters.append(OTLPSpanExporter())
            elif name == "console":
                from opentelemetry.sdk.trace.export import ConsoleSpanExporter

                exporters.append(ConsoleSpanExporter())
            else:
                _log.warning("OTEL_TRACES_EXPORTER: unknown exporter %r ignored", name)
    shutdown()
    if not exporters:
        return None
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    attributes = {} if env.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: service_name}
    provider = TracerProvider(
        resource=Resource.create(attributes), shutdown_on_exit=False
    )
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    _state.provider, _state.exporters = provider, list(exporters)
    _state.tracer = provider.get_tracer("gateway")
    return _state.tracer


def shutdown(timeout: float = SHUTDOWN_TIMEOUT_S) -> None:
    """Export what is queued, waiting at most about ``timeout`` seconds (the SDK's
    own shutdown waits as long as the exporter retries a dead collector)."""
    provider, exporters = _state.provider, _state.exporters
    _state.tracer, _state.provider, _state.exporters = None, None, []
    if provider is None:
        return
    done = threading.Event()

    def shut():
        try:
            provider.shutdown()
        except Exception:  # noqa: BLE001 - stopping must not fail on telemetry
            _log.warning("span export did not stop cleanly", exc_info=True)
        done.set()

    threading.Thread(target=shut, name="otel-shutdown", daemon=True).start()
    if not done.wait(timeout):
        _log.warning("spans not exported within %.1f s were dropped", timeout)
        for exporter in exporters:
            try:
                exporter.shutdown()  # ends the exporter's retry back-off
            except Exception:  # noqa: BLE001
                _log.debug("exporter did not shut down cleanly", exc_info=True)
        done.wait(1.0)


atexit.register(shutdown)


def _headers_for(span: Span) -> dict[str, str]:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=trace.set_span_in_context(span))
    return carrier


def current_trace_headers() -> dict[str, str]:
    """``traceparent`` of the request being handled, for the RPC context."""
    span = _current.get()
    return _headers_for(span) if span is not None else {}


class TracingMiddleware:
    """A SERVER span around each request (after RequestIdMiddleware)."""

    def process_request(self, req, resp):
        tracer = _state.tracer
        if tracer is None or req.path in UNTRACED_PATHS:
            return
        attributes = {"http.request.method": req.method}
        request_id = getattr(req.context, "request_id", None)
        if request_id:
            attributes["platform.request_id"] = request_id
        # a new root on purpose: see the module docstring
        span = tracer.start_span(
            req.method,
            context=trace.set_span_in_context(trace.INVALID_SPAN),
            kind=SpanKind.SERVER,
            attributes=attributes,
        )
        req.context.span = span
        req.context.span_token = _current.set(span)
        req.context.trace_id = format(span.get_span_context().trace_id, "032x")

    def process_response(self, req, resp, resource, req_succeeded):
        span = getattr(req.context, "span", None)
        if span is None:
            return
        route = getattr(req, "uri_template", None) or "unmatched"
        status = resp.status_code
        span.update_name(f"{req.method} {route}")
        span.set_attribute("http.route", route)
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        span.end()
        req.context.span = None
        _current.reset(req.context.span_token)


@contextmanager
def client_span(
    service: str, method: str, context: Mapping[str, object]
) -> Iterator[dict]:
    """A CLIENT span around one RPC; yields the context data to send.

    The parent comes explicitly from ``context["traceparent"]`` (set by
    ``middleware.rpc_context()`` in the request's thread), so a call made from
    another thread (``/ready`` pings in parallel) still joins the request's trace.
    """
    sent = dict(context)
    tracer = _state.tracer
    if tracer is None:
        yield sent
        return
    parent = _propagator.extract(
        {k: str(v) for k, v in context.items() if k in TRACE_HEADERS}
    )
    span = tracer.start_span(
        f"{service}/{method}",
        context=parent,
        kind=SpanKind.CLIENT,
        attributes={
            "rpc.system": "nameko",
            "rpc.service": service,
            "rpc.method": method,
        },
    )
    for key in TRACE_HEADERS:
        sent.pop(key, None)
    sent.update(_headers_for(span))
    try:
        yield sent
    except BaseException as exc:
        span.set_attribute("error.type", type(exc).__name__)
        code = getattr(exc, "error_code", None)
        if code:
            span.set_attribute("platform.error_code", str(code))
        # a contract error (it has a code) is the service's answer, not a failure
        if not code:
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        raise
    finally:
        span.end()
