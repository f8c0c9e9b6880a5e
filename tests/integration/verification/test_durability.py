"""Durable verification work: an authority outage delays cases and fails none, a kill
mid-batch loses no case, two copies share the work and decide each case once.
"""

from __future__ import annotations

import time

import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def test_an_authority_outage_delays_cases_and_never_fails_them(w_stopped):
    w = w_stopped
    w.start_verification(AUTHORITY_DOWN="true")
    w.stack.wait_ready(timeout=90)
    accounts = w.people(5)
    # the work is tried again and again while the authority is down ...
    wait_for(
        lambda: len(attempts := w.work_attempts(accounts)) == 5 and min(attempts) >= 3,
        timeout=20,
        what="retries during the outage",
    )
    rows = w.cases(accounts)
    assert [r.state for r in rows] == ["pending"] * 5
    assert w.outcome_events(accounts) == []
    errors = set(
        w.sql(
            "SELECT w.last_error FROM work_items w JOIN verification_cases c"
            " ON c.id = w.ref WHERE c.account_id = ANY(:ids)",
            ids=accounts,
        ).scalars()
    )
    assert errors == {"RetryLater: authority_unavailable"}
    # ... and completes once it is back
    w.stop_verification()
    started = time.monotonic()
    w.start_verification()
    rows = wait_for(lambda: w.decided(accounts), timeout=30)
    print(
        f"\nafter the outage: 5 cases decided {time.monotonic() - started:.2f}s after restart"
    )
    assert [r.state for r in rows] == ["passed"] * 5


def test_a_kill_mid_batch_loses_no_case_and_decides_none_twice(w_stopped):
    w = w_stopped
    # registered while verification is stopped: the events wait in its queue
    accounts = w.people(20, in_registry=lambda i: i % 3 != 0)
    slow = {"AUTHORITY_LATENCY_MS": "400", "WORK_CONCURRENCY": "4"}
    w.start_verification(**slow)
    # kill -9 while some are decided and others are claimed and in flight
    wait_for(
        lambda: len([r for r in w.cases(accounts) if r.state != "pending"]) >= 4,
        timeout=40,
    )
    w.stack.kill("verification", sig=9)
    undecided = [r for r in w.cases(accounts) if r.state == "pending"]
    assert undecided, "the kill came too late to test anything"
    w.start_verification(**slow)
    rows = wait_for(lambda: w.decided(accounts), timeout=40)
    assert len(rows) == 20
    # the 13 people in the registry passed, the 7 others failed
    assert sorted(r.state for r in rows) == ["failed"] * 7 + ["passed"] * 13
    outcomes = w.outcome_events(accounts)
    assert len(outcomes) == 20
    assert len({e.case_id for e in outcomes}) == 20
    assert set(w.decisions_per_case(accounts).values()) == {1}


def test_two_copies_share_the_work_and_decide_each_case_once(w_stopped):
    w = w_stopped
    # registered while verification is stopped: a backlog for both copies
    accounts = w.people(20)
    log = w.stack.log_path("verification", 1)
    log_start = log.stat().st_size if log.exists() else 0
    # one copy alone would need 4 s (20 checks, 2 at a time, 400 ms each)
    slow = {"AUTHORITY_LATENCY_MS": "400", "WORK_CONCURRENCY": "2"}
    w.start_verification(**slow)
    w.start_verification(copy=1, **slow)
    wait_for(lambda: w.decided(accounts), timeout=40)
    assert len(w.outcome_events(accounts)) == 20
    assert set(w.decisions_per_case(accounts).values()) == {1}

    with log.open("rb") as handle:
        handle.seek(log_start)
        lines = handle.read().decode(errors="replace").splitlines()
    done_by_copy_1 = sum(
        1
        for line in lines
        if '"entrypoint": "check_case"' in line and "entrypoint finished" in line
    )
    assert done_by_copy_1 > 0
