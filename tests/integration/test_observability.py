"""Following one request across every service: trace command, metrics, spans.

The only flow through several services on this branch is the pipeline canary:
POST /api/v1/dev/pipeline-canaries -> accounts RPC -> outbox -> verification event
handler. Registration (gateway -> accounts -> otp, verification) will be traced the
same way: ``trace_of`` and ``assert_path`` take any request id and expected path.
"""

from __future__ import annotations

import itertools
import json
import re
import statistics
import subprocess
import sys
import time
import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support.otlp import OtlpReceiver
from tests.support.stack import NAMEKO_SERVICES, ROOT
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

CANARY_ROUTE = "/api/v1/dev/pipeline-canaries"


def send_canary(stack, request_id=None, session=None) -> requests.Response:
    headers = {"X-Request-ID": request_id} if request_id else {}
    answer = (session or requests).post(
        f"{stack.url}/dev/pipeline-canaries", headers=headers, timeout=10
    )
    assert answer.status_code == 202, answer.text
    return answer


def canary_received(stack, canary_id: str) -> bool:
    answer = requests.get(f"{stack.url}/dev/pipeline-canaries/{canary_id}", timeout=10)
    return answer.status_code == 200 and answer.json()["received"]


def trace_of(stack, request_id: str, *args: str) -> subprocess.CompletedProcess:
    """Run the trace command as an operator would, on the run's log directory."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "servicekit.trace",
            request_id,
            str(stack.log_dir),
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def hops_of(stack, request_id: str) -> list[dict]:
    result = trace_of(stack, request_id, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def assert_path(hops: list[dict], expected: list[tuple[int, str, str, str]]) -> None:
    """``expected``: (depth, hop, service, what-prefix) in print order."""
    assert [(h["depth"], h["hop"], h["service"]) for h in hops] == [
        (d, hop, service) for d, hop, service, _ in expected
    ], json.dumps(hops, indent=1)
    for hop, (_, _, _, what) in zip(hops, expected, strict=True):
        assert hop["what"].startswith(what), hop
        assert isinstance(hop["duration_ms"], float) and hop["duration_ms"] >= 0, hop
        assert hop["outcome"] == "ok", hop
        assert not hop["orphan"], hop
    # along the chain each hop starts no earlier than the one that caused it
    starts = [h["started_at"] for h in hops]
    assert starts == sorted(starts)


CANARY_PATH = [
    (0, "http", "gateway", f"http POST {CANARY_ROUTE} 202"),
    (1, "rpc", "accounts", "rpc send_pipeline_canary"),
    (2, "outbox_relay", "accounts", "outbox_relay published pipeline_canary_sent"),
    (3, "event", "verification", "event on_accounts_pipeline_canary_sent"),
]


def test_the_trace_command_prints_the_path_of_one_request(live_stack):
    request_id = f"trace-{uuid.uuid4().hex}"
    answer = send_canary(live_stack, request_id)
    wait_for(lambda: canary_received(live_stack, answer.json()["canary_id"]))

    # the handler's line is written after its transaction commits: wait for it
    hops = wait_for(
        lambda: (h := hops_of(live_stack, request_id)) and len(h) == 4 and h,
        timeout=10,
        what="four hops in the logs",
    )
    assert_path(hops, CANARY_PATH)

    text = trace_of(live_stack, request_id).stdout
    header, *lines = text.splitlines()
    assert header.startswith(
        f"request {request_id}: 4 hops in 3 services (gateway, accounts, verification)"
    )
    rows = [line for line in lines if re.match(r"\d\d:\d\d:\d\d\.\d{3} ", line)]
    services = ("gateway", "accounts", "accounts", "verification")
    for row, service, (_depth, _hop, _, what) in zip(
        rows, services, CANARY_PATH, strict=True
    ):
        _, offset, took, outcome, where, *rest = row.split()
        assert where == service and rest[0] == f"({service}-0)", row
        assert float(offset) >= 0 and float(took) >= 0 and outcome == "ok", row
        assert " ".join(rest[1:]).lstrip("└─ ").startswith(what), row


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200, url
    values = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def value(samples, name, **labels) -> float:
    return sum(
        v
        for (n, sample_labels), v in samples.items()
        if n == name and labels.items() <= dict(sample_labels).items()
    )


def test_metrics_answer_on_the_gateway_and_every_service_and_move(live_stack):
    for service in NAMEKO_SERVICES:
        samples = scrape(live_stack.metrics_url(service))
        assert value(samples, "nameko_workers_max", service=service) >= 1, service
        assert ("process_resident_memory_bytes", ()) in samples, service
    accounts = scrape(live_stack.metrics_url("accounts"))
    assert ("outbox_backlog_events", (("service", "accounts"),)) in accounts

    gateway_counter = (
        "gateway_http_requests_total",
        {"route": CANARY_ROUTE, "status": "202"},
    )
    rpc_counter = (
        "gateway_rpc_calls_total",
        {"service": "accounts", "method": "send_pipeline_canary", "outcome": "ok"},
    )
    accounts_counter = (
        "nameko_entrypoint_calls_total",
        {"entrypoint": "send_pipeline_canary", "outcome": "ok"},
    )
    handler_counter = (
        "nameko_entrypoint_calls_total",
        {
            "entrypoint": "on_accounts_pipeline_canary_sent",
            "outcome": "ok",
            "hop": "event",
        },
    )

    def read():
        gateway = scrape(live_stack.metrics_url("gateway"))
        return {
            "gateway": value(gateway, gateway_counter[0], **gateway_counter[1]),
            "gateway_rpc": value(gateway, rpc_counter[0], **rpc_counter[1]),
            "accounts": value(
                scrape(live_stack.metrics_url("accounts")),
                accounts_counter[0],
                **accounts_counter[1],
            ),
            "verification": value(
                scrape(live_stack.metrics_url("verification")),
                handler_counter[0],
                **handler_counter[1],
            ),
        }

    before = read()
    send_canary(live_stack)
    # every gunicorn worker's samples are added up, whichever worker answers the scrape
    seen = {}

    def moved():
        seen.update(read())
        return all(seen[k] >= before[k] + 1 for k in seen) and dict(seen)

    after = wait_for(moved, timeout=30, what=f"every counter to move from {before}")
    assert after["gateway"] == before["gateway"] + 1


def median_ms(stack, session, count=15) -> tuple[float, list[requests.Response]]:
    """Median latency of ``count`` canaries, after a few that warm the processes up
    (fresh processes open their RPC clients and database connections first)."""
    for _ in range(5):
        send_canary(stack, session=session)
    took, answers = [], []
    for _ in range(count):
        started = time.perf_counter()
        answers.append(send_canary(stack, session=session))
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took), answers


TRACED = ("gateway", "accounts", "verification")


def test_one_trace_spans_every_service_and_a_dead_collector_costs_nothing(live_stack):
    stack, session = live_stack, requests.Session()

    # -- exporter off (the default): the baseline ------------------------------------------
    off_ms, _ = median_ms(stack, session)

    # -- gateway, accounts and verification export to a collector of the test's own -------
    receiver = OtlpReceiver()
    env = {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    try:
        for service in TRACED:
            stack.kill(service)
        for service in TRACED:
            stack.start(service, **env)
        stack.wait_ready()
        session = requests.Session()
        check_one_trace_across_services(stack, receiver, session)

        on_ms, _ = median_ms(stack, session)
        receiver.stop()  # nothing listens there any more: every export is refused
        dead_ms, answers = median_ms(stack, session)

        last = answers[-1].json()["canary_id"]
        wait_for(
            lambda: canary_received(stack, last),
            what="events to flow with the collector dead",
        )
        errors = {
            service: value(
                scrape(stack.metrics_url(service)),
                "nameko_entrypoint_calls_total",
                outcome="error",
            )
            for service in ("accounts", "verification")
        }
    finally:
        receiver.stop()
        # back to the default (no export): the next live_stack restarts them
        for service in TRACED:
            if stack.is_running(service):
                stack.kill(service)

    print(
        f"\nmedian POST {CANARY_ROUTE} over 15 calls: exporter off {off_ms:.1f} ms, "
        f"on {on_ms:.1f} ms, collector dead {dead_ms:.1f} ms"
    )
    assert errors == {"accounts": 0.0, "verification": 0.0}
    # A synchronous export would add a refused connection and the exporter's retries
    # (1 s, 2 s, ...) to every request; the batch processor adds nothing. The margin
    # is for the noise of a shared two-core machine, not for the exporter.
    assert dead_ms < max(3 * off_ms, off_ms + 100), (off_ms, dead_ms)
    assert dead_ms < max(3 * on_ms, on_ms + 100), (on_ms, dead_ms)


def check_one_trace_across_services(stack, receiver, session) -> None:
    request_id = f"span-{uuid.uuid4().hex}"
    canary_id = send_canary(stack, request_id, session).json()["canary_id"]
    (server,) = wait_for(
        lambda: receiver.find(**{"platform.request_id": request_id}),
        what="the gateway's span",
    )
    chain = [
        ("gateway", "SERVER", f"POST {CANARY_ROUTE}"),
        ("gateway", "CLIENT", "accounts/send_pipeline_canary"),
        ("accounts", "SERVER", "accounts/send_pipeline_canary"),
        ("accounts", "PRODUCER", "publish accounts.pipeline_canary_sent"),
        ("verification", "CONSUMER", "process accounts.pipeline_canary_sent"),
    ]
    spans = wait_for(
        lambda: (
            (t := receiver.trace(server.trace_id))
            and set(chain) <= {(s.service, s.kind, s.name) for s in t}
            and t
        ),
        timeout=15,
        what="the whole trace",
    )
    by_shape = {(s.service, s.kind, s.name): s for s in spans}
    for parent, child in itertools.pairwise(chain):
        assert by_shape[child].parent_span_id == by_shape[parent].span_id, (
            parent,
            child,
        )
    accounts = by_shape[chain[2]]
    assert accounts.attributes["platform.correlation_id"] == request_id
    # the trace command names the trace, to jump from the logs to the trace viewer
    assert (
        f"OpenTelemetry trace {server.trace_id}" in trace_of(stack, request_id).stdout
    )
    for span in spans:
        # arguments never become attributes (the canary id stands for personal data)
        assert canary_id not in json.dumps(span.attributes), span
        assert span.status != "STATUS_CODE_ERROR", span


def test_the_trace_of_a_registration_names_every_service_it_crossed(live_stack):
    from tests.support import client

    request_id = f"trace-reg-{uuid.uuid4().hex}"
    client.register_person(live_stack.url, headers={"X-Request-ID": request_id})

    def hops_reaching_verification():
        hops = hops_of(live_stack, request_id)
        return hops if any(h["service"] == "verification" for h in hops) else None

    hops = wait_for(hops_reaching_verification, timeout=20, what="verification's hop")
    by_what = {h["what"].split(" ")[0] + " " + h["what"].split(" ")[1]: h for h in hops}
    http = by_what["http POST"]
    register = by_what["rpc register_person"]
    verify_code = by_what["rpc verify_sms_code"]
    handled = next(
        h for h in hops if h["what"].startswith("event on_accounts_person_reg")
    )
    assert (http["service"], register["service"]) == ("gateway", "accounts")
    assert verify_code["service"] == "otp"
    assert handled["service"] == "verification"
    # nested by who called whom: gateway > accounts > otp, and the event under accounts
    assert http["depth"] == 0 and register["depth"] == 1 and verify_code["depth"] == 2
    assert handled["depth"] > register["depth"]
    assert http["started_at"] <= register["started_at"] <= verify_code["started_at"]
    assert verify_code["started_at"] <= handled["started_at"]
    for hop in (http, register, verify_code, handled):
        assert hop["duration_ms"] >= 0 and hop["outcome"] == "ok", hop
