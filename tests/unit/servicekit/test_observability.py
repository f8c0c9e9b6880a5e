"""Spans, metrics and hop lines of Nameko workers, with a fake container (no broker)."""

from __future__ import annotations

import io
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from nameko.containers import WorkerContext
from nameko.events import EventHandler
from nameko.rpc import Rpc
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY
from servicekit import jsonlog, metrics, trace_tree, tracing

PHONE = "+8613800138000"  # stands for any personal data a caller sends
UPSTREAM = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


class InvalidInput(Exception):
    error_code = "phone_invalid"


def entrypoint(cls, method_name, *args, **kwargs):
    ep = cls(*args, expected_exceptions=InvalidInput, **kwargs)
    ep.method_name = method_name
    return ep


def container(service="accounts", **config):
    return SimpleNamespace(
        service_name=service,
        config={"max_workers": 10, **config},
        max_workers=10,
        dependencies=[],
    )


def worker(cont, ep, args=(), data=None):
    return WorkerContext(cont, None, ep, args=args, data=dict(data or {}))


@pytest.fixture
def spans(monkeypatch):
    """Tracing on, with finished spans kept in memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(
        tracing.tracers, "acquire", lambda name: provider.get_tracer("test")
    )
    monkeypatch.setattr(tracing.tracers, "release", lambda name: None)
    monkeypatch.setattr(
        tracing.tracers, "current", lambda name: provider.get_tracer("test")
    )
    return exporter


def traced(provider_cls=tracing.Tracing, service="accounts"):
    provider = provider_cls()
    provider.container = container(service)
    provider.setup()
    return provider


# --- tracing ------------------------------------------------------------------------------


def test_an_rpc_worker_continues_the_callers_trace_and_hands_on_its_own(spans):
    provider = traced()
    ctx = worker(
        provider.container,
        entrypoint(Rpc, "register_person"),
        args=(),
        data={"correlation_id": "req-1", "traceparent": UPSTREAM},
    )
    ctx.kwargs = {"phone": PHONE}
    provider.worker_setup(ctx)
    handed_on = ctx.data["traceparent"]
    provider.worker_result(ctx, result={"phone": PHONE})

    (span,) = spans.get_finished_spans()
    assert span.name == "accounts/register_person"
    assert span.kind is SpanKind.SERVER
    assert span.context.trace_id == int(UPSTREAM.split("-")[1], 16)
    assert span.parent.span_id == int(UPSTREAM.split("-")[2], 16)
    # what the worker sends next is a child of this span, in the same trace
    assert handed_on.split("-")[1] == UPSTREAM.split("-")[1]
    assert handed_on.split("-")[2] == format(span.context.span_id, "016x")
    assert span.attributes["platform.correlation_id"] == "req-1"
    assert span.attributes["platform.outcome"] == "ok"
    assert PHONE not in json.dumps(dict(span.attributes))


def test_a_rejected_call_is_not_an_error_and_a_crash_is(spans):
    provider = traced()
    for exc, outcome, status in (
        (InvalidInput("the phone +8613800138000 is wrong"), "rejected", "UNSET"),
        (RuntimeError(f"db said {PHONE}"), "error", "ERROR"),
    ):
        ctx = worker(provider.container, entrypoint(Rpc, "register_person"))
        provider.worker_setup(ctx)
        provider.worker_result(ctx, exc_info=(type(exc), exc, None))
        span = spans.get_finished_spans()[-1]
        assert span.attributes["platform.outcome"] == outcome
        assert span.attributes["error.type"] == type(exc).__name__
        assert span.status.status_code.name == status
        assert not span.events, "no exception event: its message may hold personal data"
        assert PHONE not in json.dumps(dict(span.attributes))
        assert PHONE not in (span.status.description or "")


def test_an_event_handler_is_a_consumer_span_naming_the_event(spans):
    provider = traced(service="verification")
    handler = entrypoint(
        EventHandler, "on_accounts_person_registered", "accounts", "person_registered"
    )
    envelope = {"event_id": "e-1", "data": {"phone": PHONE}}
    ctx = worker(
        provider.container, handler, args=(envelope,), data={"traceparent": UPSTREAM}
    )
    provider.worker_setup(ctx)
    provider.worker_result(ctx)
    (span,) = spans.get_finished_spans()
    assert span.kind is SpanKind.CONSUMER
    assert span.name == "process accounts.person_registered"
    assert span.attributes["messaging.message.id"] == "e-1"
    assert PHONE not in json.dumps(dict(span.attributes))


def test_with_tracing_off_the_trace_context_passes_through():
    provider = tracing.Tracing()
    provider.container = container()
    provider.setup()  # OTEL_TRACES_EXPORTER unset: none
    assert provider.tracer is None
    ctx = worker(
        provider.container, entrypoint(Rpc, "ping"), data={"traceparent": UPSTREAM}
    )
    provider.worker_setup(ctx)
    provider.worker_result(ctx)
    assert ctx.data["traceparent"] == UPSTREAM
    provider.stop()


def test_a_worker_can_open_a_child_span_for_a_slow_step(spans):
    provider = traced()
    ctx = worker(
        provider.container, entrypoint(Rpc, "verify"), data={"traceparent": UPSTREAM}
    )
    dependency = provider.get_dependency(ctx)  # injected before worker_setup
    provider.worker_setup(ctx)
    with dependency.span_for("identity authority", {"authority": "nciic"}):
        pass
    provider.worker_result(ctx)
    child, parent = spans.get_finished_spans()
    assert child.parent.span_id == parent.context.span_id


def test_the_relay_publishes_inside_a_producer_span_continuing_the_stored_trace(spans):
    stored = {
        "correlation_id": "req-1",
        "call_id_stack": ["a"],
        "traceparent": UPSTREAM,
    }
    with tracing.publish_span(
        "accounts", "person_registered", "e-1", stored
    ) as headers:
        assert headers["correlation_id"] == "req-1"
        assert headers["traceparent"] != UPSTREAM
    (span,) = spans.get_finished_spans()
    assert span.kind is SpanKind.PRODUCER
    assert span.parent.span_id == int(UPSTREAM.split("-")[2], 16)
    assert headers["traceparent"].split("-")[2] == format(span.context.span_id, "016x")


def test_the_outbox_stores_the_trace_context_beside_the_call_stack():
    import sqlalchemy as sa
    from contracts.accounts import PipelineCanarySent
    from servicekit.outbox import add_event, outbox_table

    table = outbox_table(sa.MetaData())
    executed = []
    session = SimpleNamespace(execute=executed.append)
    add_event(
        session,
        table,
        PipelineCanarySent(canary_id=str(uuid.uuid4())),
        correlation_id="req-1",
        call_id_stack=["gateway.http.req-1", "accounts.x.1"],
        trace_context=tracing.trace_context_of({"traceparent": UPSTREAM, "other": 1}),
    )
    headers = executed[0].compile().params["headers"]
    assert headers == {
        "correlation_id": "req-1",
        "call_id_stack": ["gateway.http.req-1", "accounts.x.1"],
        "traceparent": UPSTREAM,
    }


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("", []),
        ("none", []),
        ("otlp", ["otlp"]),
        (" OTLP , console", ["otlp", "console"]),
    ],
)
def test_exporters_come_from_otel_traces_exporter(value, names):
    assert tracing.exporter_names({"OTEL_TRACES_EXPORTER": value}) == names
    assert (
        tracing.exporter_names(
            {"OTEL_TRACES_EXPORTER": value, "OTEL_SDK_DISABLED": "true"}
        )
        == []
    )


def test_an_unknown_exporter_is_ignored_not_fatal(caplog):
    assert tracing.make_pipeline("accounts", {"OTEL_TRACES_EXPORTER": "zipkn"}) is None
    assert "zipkn" in caplog.text


def test_stopping_waits_at_most_the_timeout_for_a_dead_collector(monkeypatch):
    import time

    # port 9 (discard) is closed here: every export is refused and retried for 10 s
    monkeypatch.setenv(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:9/v1/traces"
    )
    pipeline = tracing.make_pipeline("accounts", {"OTEL_TRACES_EXPORTER": "otlp"})
    for _ in range(3):
        pipeline.tracer.start_span("s").end()
    started = time.monotonic()
    pipeline.shutdown(timeout_ms=500)
    took = time.monotonic() - started
    assert 0.4 < took < 2.0, took


# --- metrics ------------------------------------------------------------------------------


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_workers_are_counted_by_entrypoint_and_outcome_and_timed():
    provider = metrics.Metrics()
    provider.container = container("metricsunit")
    provider.setup()
    ep = entrypoint(Rpc, "register_person")
    labels = {"service": "metricsunit", "entrypoint": "register_person", "hop": "rpc"}
    before = {
        o: sample("nameko_entrypoint_calls_total", **labels, outcome=o)
        for o in ("ok", "rejected", "error")
    }
    for exc_info in (
        None,
        (InvalidInput, InvalidInput(), None),
        (KeyError, KeyError(), None),
    ):
        ctx = worker(provider.container, ep)
        provider.worker_setup(ctx)
        assert sample("nameko_workers_busy", service="metricsunit") == 1
        provider.worker_result(ctx, exc_info=exc_info)
        provider.worker_teardown(ctx)
    for outcome in ("ok", "rejected", "error"):
        assert (
            sample("nameko_entrypoint_calls_total", **labels, outcome=outcome)
            == before[outcome] + 1
        )
    assert sample("nameko_entrypoint_duration_seconds_count", **labels) >= 3
    assert sample("nameko_workers_busy", service="metricsunit") == 0
    assert sample("nameko_workers_max", service="metricsunit") == 10
    provider.stop()


def test_the_outbox_backlog_is_read_at_scrape_time_and_skipped_when_unknown():
    from servicekit.outbox import OutboxRelay

    class FakeRelay(OutboxRelay):
        def __init__(self, count, oldest, broken=False):
            self.count, self.oldest, self.broken = count, oldest, broken

        def backlog(self):
            if self.broken:
                raise ConnectionError("database down")
            return self.count

        def oldest_unsent_at(self):
            return self.oldest

    provider = metrics.Metrics()
    provider.container = container("outboxunit")
    provider.container.dependencies = [
        SimpleNamespace(relay=FakeRelay(3, datetime.now(UTC) - timedelta(seconds=90)))
    ]
    provider.setup()
    assert sample("outbox_backlog_events", service="outboxunit") == 3
    assert 89 < sample("outbox_oldest_unsent_age_seconds", service="outboxunit") < 120

    provider.container.dependencies = [
        SimpleNamespace(relay=FakeRelay(0, None, broken=True))
    ]
    assert (
        REGISTRY.get_sample_value("outbox_backlog_events", {"service": "outboxunit"})
        is None
    )
    provider.stop()
    assert (
        REGISTRY.get_sample_value("outbox_backlog_events", {"service": "outboxunit"})
        is None
    )


def test_the_work_queue_hooks_set_the_gauges_and_count_attempts():
    metrics.report_work_items("otp", "send_sms", waiting=4, retrying=1)
    assert sample("work_items", service="otp", kind="send_sms", state="waiting") == 4
    assert sample("work_items", service="otp", kind="send_sms", state="retrying") == 1
    before = sample(
        "work_item_attempts_total", service="otp", kind="send_sms", outcome="retry"
    )
    metrics.record_work_item_attempt("otp", "send_sms", "retry", 0.2)
    assert (
        sample(
            "work_item_attempts_total", service="otp", kind="send_sms", outcome="retry"
        )
        == before + 1
    )


def test_the_metrics_port_is_off_unless_configured():
    provider = metrics.Metrics()
    provider.container = container("portunit", METRICS_PORT="")
    provider.setup()
    provider.start()
    assert provider._server is None
    provider.stop()


# --- hop lines ----------------------------------------------------------------------------


def log_lines(logger_name):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(jsonlog.JsonFormatter())
    handler.addFilter(jsonlog.ContextFilter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return stream, lambda: logger.removeHandler(handler)


def test_a_work_item_line_is_a_hop_the_trace_command_reads():
    stream, done = log_lines("servicekit.work")
    started = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    try:
        jsonlog.log_work_item(
            service="otp",
            kind="send_sms",
            item_id="42",
            attempt=2,
            correlation_id="req-1",
            parent_call_id="otp.send_sms_code.1",
            started_at=started,
            duration_ms=120.0,
            outcome="retry",
            next_attempt_at=started + timedelta(seconds=30),
            error=TimeoutError(f"provider timed out for {PHONE}"),
        )
    finally:
        done()
    line = json.loads(stream.getvalue())
    assert PHONE not in stream.getvalue()
    hop = trace_tree.to_hop(trace_tree.LogLine(line, "otp-0"))
    assert hop.kind == "work_item"
    assert hop.id == "otp.work.send_sms.42.2"
    assert hop.callers == ("otp.send_sms_code.1",)
    assert hop.started == started and hop.duration_ms == 120.0
    assert "send_sms attempt 2" in hop.describe() and "TimeoutError" in hop.describe()
    with pytest.raises(ValueError):
        jsonlog.log_work_item(
            service="otp",
            kind="k",
            item_id="1",
            attempt=1,
            correlation_id=None,
            parent_call_id=None,
            started_at=started,
            duration_ms=1,
            outcome="maybe",
        )


def test_an_event_handler_line_names_the_event_it_handled():
    stream, done = log_lines("servicekit.worker")
    provider = jsonlog.WorkerLogging()
    provider.container = container("verification")
    provider.setup()
    handler = entrypoint(
        EventHandler, "on_accounts_person_registered", "accounts", "person_registered"
    )
    ctx = worker(provider.container, handler, args=({"event_id": "e-7", "data": {}},))
    try:
        provider.worker_setup(ctx)
        provider.worker_result(ctx)
        provider.worker_teardown(ctx)
    finally:
        done()
    line = json.loads(stream.getvalue())
    assert line["event_id"] == "e-7"
    assert line["hop"] == "event"
