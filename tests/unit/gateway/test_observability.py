"""The gateway's metrics (what its metrics port serves), request and RPC metrics,
and its spans (no broker)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import falcon.testing
import pytest
from contracts import errors as ce
from gateway import metrics, tracing
from gateway.app import create_app
from gateway.rpc import RpcPool, ServiceUnavailable
from gateway.settings import Settings
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from tests.unit.gateway.fakes import FakeRedis, FakeRpc

CANARY = ("accounts", "send_pipeline_canary")


def client(rpc=None) -> falcon.testing.TestClient:
    app = create_app(Settings(environment="test"), rpc or FakeRpc(), FakeRedis())
    return falcon.testing.TestClient(app)


@dataclass
class Scrape:
    text: str
    content_type: str


def scrape(accept: str | None = None) -> Scrape:
    """What the metrics port answers (gunicorn's master serves the same registry)."""
    data, content_type = metrics.exposition(accept)
    return Scrape(data.decode(), content_type)


def scraped(result, name, **labels) -> float:
    for family in text_string_to_metric_families(result.text):
        for sample in family.samples:
            if sample.name == name and all(
                sample.labels.get(k) == v for k, v in labels.items()
            ):
                return sample.value
    return 0.0


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    tracing.configure("gateway", env={}, exporters=[exporter])

    def finished():
        tracing._state.provider.force_flush()
        return exporter.get_finished_spans()

    yield finished
    tracing.shutdown()


def test_metrics_answer_and_count_requests_by_route_template_and_status():
    rpc = FakeRpc({CANARY: lambda canary_id: {"canary_id": canary_id}})
    app = client(rpc)
    labels = {
        "method": "POST",
        "route": "/api/v1/dev/pipeline-canaries",
        "status": "202",
    }
    before = scraped(scrape(), "gateway_http_requests_total", **labels)
    app.simulate_post("/api/v1/dev/pipeline-canaries")
    app.simulate_get("/api/v1/dev/pipeline-canaries/abc")
    app.simulate_get("/api/v1/no/such/route/12345")
    result = scrape()
    assert result.content_type.startswith("text/plain")
    assert scraped(result, "gateway_http_requests_total", **labels) == before + 1
    # templates, not URLs: a scan of random paths cannot grow the label set
    assert scraped(
        result,
        "gateway_http_requests_total",
        route="/api/v1/dev/pipeline-canaries/{canary_id}",
    )
    assert scraped(
        result, "gateway_http_requests_total", route="unmatched", status="404"
    )
    assert "/api/v1/no/such/route/12345" not in result.text
    assert scraped(
        result,
        "gateway_http_request_duration_seconds_count",
        method="POST",
        route="/api/v1/dev/pipeline-canaries",
    )


def test_metrics_speak_openmetrics_when_asked():
    result = scrape("application/openmetrics-text; version=1.0.0")
    assert result.content_type.startswith("application/openmetrics-text")
    assert result.text.rstrip().endswith("# EOF")


def pool_answering(answer):
    pool = RpcPool("amqp://nowhere", timeout=1)
    sent = []

    def fake_call(service, method, kwargs, context, timeout):
        sent.append(context)
        return answer()

    pool._call = fake_call
    return pool, sent


def rpc_count(outcome):
    return (
        REGISTRY.get_sample_value(
            "gateway_rpc_calls_total",
            {
                "service": "accounts",
                "method": "send_pipeline_canary",
                "outcome": outcome,
            },
        )
        or 0.0
    )


def raise_(exc):
    raise exc


@pytest.mark.parametrize(
    ("answer", "outcome", "raised"),
    [
        (lambda: {"ok": True}, "ok", None),
        (lambda: raise_(ce.InvalidInput("bad", "bad")), "rejected", ce.InvalidInput),
        (
            lambda: raise_(ServiceUnavailable("accounts", "x")),
            "unavailable",
            ServiceUnavailable,
        ),
        (lambda: raise_(RuntimeError("x")), "error", RuntimeError),
    ],
)
def test_rpcs_are_counted_by_outcome(answer, outcome, raised):
    pool, _ = pool_answering(answer)
    before = rpc_count(outcome)
    if raised:
        with pytest.raises(raised):
            pool.call(*CANARY, context={}, canary_id="c")
    else:
        pool.call(*CANARY, context={}, canary_id="c")
    assert rpc_count(outcome) == before + 1


def test_a_request_is_a_server_span_and_its_rpc_a_child_of_it(spans):
    pool, sent = pool_answering(lambda: {"canary_id": "c"})
    result = client(pool).simulate_post(
        "/api/v1/dev/pipeline-canaries",
        headers={
            "X-Request-ID": "req-trace-0001",
            # a client's trace context is ignored at the public edge
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        },
        query_string="phone=%2B8613800138000",
    )
    assert result.status_code == 202
    by_kind = {span.kind: span for span in spans()}
    server, rpc = by_kind[SpanKind.SERVER], by_kind[SpanKind.CLIENT]
    assert server.name == "POST /api/v1/dev/pipeline-canaries"
    assert server.parent is None
    assert format(server.context.trace_id, "032x") != "0af7651916cd43dd8448eb211c80319c"
    assert dict(server.attributes) == {
        "http.request.method": "POST",
        "platform.request_id": "req-trace-0001",
        "http.route": "/api/v1/dev/pipeline-canaries",
        "http.response.status_code": 202,
    }
    assert rpc.name == "accounts/send_pipeline_canary"
    assert rpc.parent.span_id == server.context.span_id
    # the service receives the client span as its parent, and the request id
    (context,) = sent
    assert context["correlation_id"] == "req-trace-0001"
    assert context["traceparent"].split("-")[2] == format(rpc.context.span_id, "016x")
    assert "8613800138000" not in json.dumps(
        [dict(s.attributes) for s in (server, rpc)]
    )


def test_the_access_log_line_names_the_trace(spans, caplog):
    caplog.set_level("INFO", logger="gateway.access")
    client().simulate_get("/api/v1/ready")
    (server,) = [s for s in spans() if s.kind is SpanKind.SERVER]
    (line,) = [r for r in caplog.records if r.getMessage() == "request finished"]
    assert line.trace_id == format(server.context.trace_id, "032x")


def test_probes_make_no_spans(spans):
    client().simulate_get("/api/v1/health")
    assert spans() == ()


def test_the_public_port_serves_no_metrics():
    answer = client().simulate_get("/metrics")
    assert answer.status_code == 404
    assert "gateway_http_requests_total" not in answer.text


def test_a_5xx_marks_the_span_as_an_error(spans):
    rpc = FakeRpc({CANARY: lambda **kw: raise_(RuntimeError("boom"))})
    client(rpc).simulate_post("/api/v1/dev/pipeline-canaries")
    (server,) = [s for s in spans() if s.kind is SpanKind.SERVER]
    assert server.status.status_code.name == "ERROR"
    assert server.attributes["http.response.status_code"] == 500


def test_without_tracing_no_trace_context_is_sent():
    pool, sent = pool_answering(lambda: {"canary_id": "c"})
    client(pool).simulate_post("/api/v1/dev/pipeline-canaries")
    assert "traceparent" not in sent[0]
