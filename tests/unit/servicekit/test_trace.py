"""The trace command on crafted log lines: several copies, files out of order, lost parents."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from servicekit import trace, trace_tree

RID = "req-0123456789abcdef"
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
RPC_ID = "accounts.send_pipeline_canary.aaaa"
EVENT_ID = "d342fdfd-19c2-40f2-b844-fec5311d5b88"
HANDLER_ID = "verification.on_accounts_pipeline_canary_sent.bbbb"


def at(ms: float) -> str:
    return (T0 + timedelta(milliseconds=ms)).isoformat()


def http(ms=0.0, took=40.0, status=202, rid=RID):
    return {
        "message": "request finished",
        "hop": "http",
        "service": "gateway",
        "call_id": f"gateway.http.{rid}",
        "correlation_id": rid,
        "method": "POST",
        "route": "/api/v1/dev/pipeline-canaries",
        "status": status,
        "started_at": at(ms),
        "duration_ms": took,
        "outcome": "ok" if status < 500 else "error",
        "ts": at(ms + took),
    }


def worker(kind, call_id, parent, ms, took, service, entrypoint, outcome="ok", **extra):
    return {
        "message": "entrypoint finished",
        "hop": kind,
        "service": service,
        "entrypoint": entrypoint,
        "call_id": call_id,
        "parent_call_id": parent,
        "correlation_id": RID,
        "started_at": at(ms),
        "duration_ms": took,
        "outcome": outcome,
        "ts": at(ms + took),
        **extra,
    }


def rpc(ms=5.0, took=8.0, call_id=RPC_ID, parent=f"gateway.http.{RID}", **extra):
    return worker(
        "rpc", call_id, parent, ms, took, "accounts", "send_pipeline_canary", **extra
    )


def relay(ms=15.0, took=1.5, event_id=EVENT_ID, parent=RPC_ID, **extra):
    return {
        "message": "outbox event published",
        "hop": "outbox_relay",
        "service": "accounts",
        "event_id": event_id,
        "event_type": "pipeline_canary_sent",
        "correlation_id": RID,
        "parent_call_id": parent,
        # the relay may run in the worker's teardown: the worker's call id is still bound
        "call_id": RPC_ID,
        "started_at": at(ms),
        "duration_ms": took,
        "outcome": "ok",
        "ts": at(ms + took),
        **extra,
    }


def handler(ms=16.0, took=6.0, call_id=HANDLER_ID, event_id=EVENT_ID, **extra):
    return worker(
        "event",
        call_id,
        RPC_ID,
        ms,
        took,
        "verification",
        "on_accounts_pipeline_canary_sent",
        event_source="accounts",
        event_type="pipeline_canary_sent",
        event_id=event_id,
        **extra,
    )


def note(message, call_id, ms, service="accounts", level="INFO"):
    return {
        "message": message,
        "level": level,
        "service": service,
        "call_id": call_id,
        "correlation_id": RID,
        "ts": at(ms),
    }


def write(tmp_path, name, *lines, garbage=False):
    path = tmp_path / name
    text = "".join(json.dumps(line) + "\n" for line in lines)
    if garbage:
        text = (
            "[2026-03-01 12:00:00 +0000] [123] [INFO] Booting worker with pid: 123\n"
            + text
            + '{"message": "torn line", "correlation_id": "'
            + RID
            + '", "hop": "rp'
        )
    path.write_text(text)
    return path


def run(tmp_path, *args) -> tuple[int, str]:
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        code = trace.main([RID, *args])
    return code, out.getvalue()


def tree_of(lines, source="all"):
    roots, unattached = trace_tree.build_tree(
        trace_tree.LogLine(line, source) for line in lines
    )
    return roots, unattached


def test_the_whole_path_nests_by_who_called_whom():
    roots, unattached = tree_of([handler(), relay(), rpc(), http()])
    flat = trace.to_json(roots)
    assert [(h["depth"], h["hop"], h["service"]) for h in flat] == [
        (0, "http", "gateway"),
        (1, "rpc", "accounts"),
        (2, "outbox_relay", "accounts"),
        (3, "event", "verification"),
    ]
    assert not unattached
    assert all(not h["orphan"] for h in flat)


def test_siblings_are_in_time_order_and_other_requests_are_ignored(tmp_path):
    second_rpc = rpc(ms=20.0, call_id="otp.send_sms_code.cccc")
    second_rpc["service"], second_rpc["entrypoint"] = "otp", "send_sms_code"
    other = http(rid="req-someone-else-0001")
    path = write(tmp_path, "mixed.log", second_rpc, rpc(), http(), other)
    code, out = run(tmp_path, str(path), "--json")
    assert code == 0
    hops = json.loads(out)
    assert [h["id"] for h in hops] == [
        f"gateway.http.{RID}",
        RPC_ID,
        "otp.send_sms_code.cccc",
    ]


def test_several_copies_and_files_read_out_of_order(tmp_path):
    # two copies of accounts served two RPCs of the same request; verification's log
    # is read first, the gateway's last.
    other_rpc = rpc(ms=25.0, call_id="accounts.send_pipeline_canary.dddd")
    write(tmp_path, "verification-0.log", handler())
    write(tmp_path, "accounts-1.log", other_rpc, relay(), garbage=True)
    write(tmp_path, "accounts-0.log", rpc())
    write(tmp_path, "gateway-0.log", http(), garbage=True)
    paths = [
        str(tmp_path / n)
        for n in (
            "verification-0.log",
            "accounts-1.log",
            "accounts-0.log",
            "gateway-0.log",
        )
    ]
    code, out = run(tmp_path, *paths, "--json")
    assert code == 0
    hops = json.loads(out)
    assert [(h["depth"], h["process"]) for h in hops] == [
        (0, "gateway-0"),
        (1, "accounts-0"),
        (2, "accounts-1"),  # the relay ran in the other copy
        (3, "verification-0"),
        (1, "accounts-1"),
    ]
    # a directory means every *.log in it, same answer
    _, out_dir = run(tmp_path, str(tmp_path), "--json")
    assert json.loads(out_dir) == hops


def test_a_hop_whose_caller_is_not_in_the_logs_is_shown_at_the_top_marked(tmp_path):
    # the gateway's log was not given: the RPC is a root, the rest still nests under it
    path = write(tmp_path, "some.log", relay(), rpc(), handler())
    code, out = run(tmp_path, str(path))
    assert code == 0
    lines = out.splitlines()
    rpc_line = next(line for line in lines if "rpc send_pipeline_canary" in line)
    assert f"(caller gateway.http.{RID} is not in these logs)" in rpc_line
    event_line = next(line for line in lines if "event on_accounts" in line)
    assert "└─" in event_line and "not in these logs" not in event_line


def test_an_event_without_its_relay_line_hangs_under_the_emitting_worker():
    roots, _ = tree_of([http(), rpc(), handler()])
    flat = trace.to_json(roots)
    assert [(h["depth"], h["hop"]) for h in flat] == [
        (0, "http"),
        (1, "rpc"),
        (2, "event"),
    ]


def test_an_event_published_twice_is_handled_under_each_publication():
    lines = [
        http(),
        rpc(),
        relay(ms=15.0),
        handler(ms=16.0),
        relay(ms=500.0),  # the row was relayed again (at-least-once)
        handler(ms=502.0, call_id="verification.on_accounts_pipeline_canary_sent.eeee"),
    ]
    roots, _ = tree_of(lines)
    flat = trace.to_json(roots)

    def ms(h):
        return (datetime.fromisoformat(h["started_at"]) - T0) / timedelta(
            milliseconds=1
        )

    assert [(h["depth"], h["hop"], ms(h)) for h in flat] == [
        (0, "http", 0),
        (1, "rpc", 5),
        (2, "outbox_relay", 15),
        (3, "event", 16),
        (2, "outbox_relay", 500),
        (3, "event", 502),
    ]


def test_work_item_attempts_hang_under_the_worker_that_enqueued_them():
    from servicekit.jsonlog import work_item_call_id

    def attempt(n, ms, outcome, **extra):
        return {
            "message": "work item finished",
            "hop": "work_item",
            "service": "verification",
            "work_item": "verify_identity",
            "work_item_id": "42",
            "attempt": n,
            "call_id": work_item_call_id("verification", "verify_identity", "42", n),
            "parent_call_id": HANDLER_ID,
            "correlation_id": RID,
            "started_at": at(ms),
            "duration_ms": 100.0,
            "outcome": outcome,
            **extra,
        }

    lines = [
        http(),
        rpc(),
        relay(),
        handler(),
        attempt(2, 2100.0, "ok"),
        attempt(1, 30.0, "retry", next_attempt_at=at(2100.0), error="TimeoutError"),
    ]
    roots, _ = tree_of(lines)
    text = trace.format_trace(RID, roots, [])
    rows = [line for line in text.splitlines() if "work_item" in line]
    assert len(rows) == 2
    assert (
        "attempt 1" in rows[0]
        and "retry at 12:00:02" in rows[0]
        and "TimeoutError" in rows[0]
    )
    assert "attempt 2" in rows[1] and " ok " in rows[1]
    flat = trace.to_json(roots)
    assert [h["depth"] for h in flat if h["hop"] == "work_item"] == [4, 4]


def test_the_text_names_each_hop_with_start_duration_and_outcome():
    roots, unattached = tree_of(
        [
            http(),
            rpc(
                outcome="rejected", error="InvalidInput", error_code="canary_id_invalid"
            ),
        ]
    )
    text = trace.format_trace(RID, roots, unattached)
    header, *rest = text.splitlines()
    assert header.startswith(
        f"request {RID}: 2 hops in 2 services (gateway, accounts), 2026-03-01 12:00:00.000 UTC"
    )
    gateway_row = next(line for line in rest if "http POST" in line)
    assert gateway_row.startswith("12:00:00.000")
    assert "40.0" in gateway_row and "/api/v1/dev/pipeline-canaries 202" in gateway_row
    rpc_row = next(line for line in rest if "rpc send_pipeline_canary" in line)
    assert rpc_row.startswith("12:00:00.005")
    assert "8.0" in rpc_row and "rejected" in rpc_row
    assert "[InvalidInput: canary_id_invalid]" in rpc_row


def test_a_failed_hop_is_counted_in_the_header():
    roots, _ = tree_of(
        [http(status=500), rpc(outcome="error", error="OperationalError")]
    )
    assert "2 FAILED" in trace.format_trace(RID, roots, []).splitlines()[0]


def test_verbose_shows_ordinary_lines_under_their_hop():
    gateway_note = note(
        "dependency unavailable: accounts",
        None,
        3.0,
        service="gateway",
        level="WARNING",
    )
    lines = [
        http(),
        rpc(),
        note("(expected) error handling worker", RPC_ID, 9.0, level="WARNING"),
        gateway_note,
        note("stray", "nobody.knows.this", 50.0),
    ]
    roots, unattached = tree_of(lines)
    assert [n.data["message"] for n in roots[0].notes] == [
        "dependency unavailable: accounts"
    ]
    assert [n.data["message"] for n in roots[0].children[0].notes] == [
        "(expected) error handling worker"
    ]
    assert [n.data["message"] for n in unattached] == ["stray"]

    quiet = trace.format_trace(RID, roots, unattached)
    assert "(expected) error" not in quiet
    assert "1 more log lines" in quiet
    loud = trace.format_trace(RID, roots, unattached, verbose=True).splitlines()
    rpc_at = next(
        i for i, line in enumerate(loud) if "rpc send_pipeline_canary" in line
    )
    assert "(expected) error handling worker" in loud[rpc_at + 1]
    assert "stray" in loud[-1]


def test_a_line_without_started_at_uses_its_timestamp_minus_its_duration():
    line = relay()
    del line["started_at"]
    hop = trace_tree.to_hop(trace_tree.LogLine(line, "accounts-0"))
    assert hop.started == T0 + timedelta(milliseconds=15.0)


def test_the_service_falls_back_to_the_log_file_name():
    line = relay()
    line["service"] = None
    assert (
        trace_tree.to_hop(trace_tree.LogLine(line, "accounts-3")).service == "accounts"
    )
    assert trace_tree.to_hop(trace_tree.LogLine(line, "-")).service == "-"


def test_an_unknown_request_exits_1_and_says_so(tmp_path):
    path = write(tmp_path, "gateway-0.log", http(rid="req-another-one-000"))
    code, out = run(tmp_path, str(path))
    assert code == 1
    assert f"no log line carries correlation id {RID}" in out


def test_a_missing_file_exits_2(tmp_path, capsys):
    assert trace.main([RID, str(tmp_path / "nope.log")]) == 2
    assert "no such log file" in capsys.readouterr().err


def test_stdin_is_read_with_a_dash(monkeypatch, tmp_path):
    text = "".join(json.dumps(line) + "\n" for line in (rpc(), http()))
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    _, out = run(tmp_path, "-", "--json")
    assert [h["hop"] for h in json.loads(out)] == ["http", "rpc"]


@pytest.mark.parametrize(
    "raw", ["", "not json " + RID, "[1, 2]", '{"correlation_id": 5}']
)
def test_junk_lines_are_skipped(raw):
    assert list(trace_tree.parse_lines([raw], "x", RID)) == []


def test_the_header_names_the_opentelemetry_trace_when_the_gateway_logged_one():
    line = http()
    line["trace_id"] = "4bf92f3577b34da6a3ce929d0e0e4736"
    roots, _ = tree_of([line, rpc()])
    lines = trace.format_trace(RID, roots, []).splitlines()
    assert lines[1] == "OpenTelemetry trace 4bf92f3577b34da6a3ce929d0e0e4736"
