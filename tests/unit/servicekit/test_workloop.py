"""The one back-off formula and the one work loop (the claiming itself is tested
against PostgreSQL and Redis in the integration tier)."""

from __future__ import annotations

import logging
import random

from servicekit import workloop
from servicekit.workloop import backoff, run_work_loop

log = logging.getLogger("test.workloop")


def test_backoff_doubles_up_to_the_cap_with_jitter():
    rng = random.Random(1)
    for attempts, ceiling in [(1, 1), (2, 2), (3, 4), (5, 16), (6, 30), (40, 30)]:
        for _ in range(50):
            delay = backoff(attempts, 1.0, 30.0, rng.random)
            assert ceiling * 0.5 <= delay <= ceiling


def test_backoff_jitter_spans_half_to_all_of_the_ceiling():
    assert backoff(1, 1.0, 300, lambda: 1.0) == 1.0
    assert backoff(4, 1.0, 300, lambda: 1.0) == 8.0
    assert backoff(4, 1.0, 300, lambda: 0.0) == 4.0
    assert backoff(30, 1.0, 300, lambda: 1.0) == 300.0
    assert backoff(0, 2.0, 300, lambda: 1.0) == 2.0  # never below the base


class Script:
    """A step that plays outcomes (True: work found, False: idle, Exception: fail)
    and a wait that records how long the loop asked to wait."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.waits: list[tuple[str, float]] = []

    def step(self) -> bool:
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def done(self) -> bool:
        return not self.outcomes

    def idle(self, seconds: float) -> None:
        self.waits.append(("idle", seconds))

    def pause(self, seconds: float) -> None:
        self.waits.append(("pause", seconds))


def run(script: Script, **overrides) -> None:
    options = {
        "should_stop": script.done,
        "idle_wait": script.idle,
        "idle_seconds": 0.5,
        "retry_base": 1.0,
        "retry_cap": 4.0,
        "logger": log,
        "name": "test loop",
        "pause": script.pause,
        "rand": lambda: 1.0,
    }
    run_work_loop(script.step, **{**options, **overrides})


def test_the_loop_goes_on_at_once_while_busy_and_waits_when_idle():
    script = Script(True, True, False, True, False)
    run(script)
    assert script.waits == [("idle", 0.5), ("idle", 0.5)]


def test_failures_pause_with_backoff_and_a_success_resets_the_count(caplog):
    down = ConnectionError("store down")
    script = Script(down, down, down, down, True, down)
    with caplog.at_level(logging.WARNING):
        run(script)
    pauses = [seconds for kind, seconds in script.waits]
    assert pauses == [1.0, 2.0, 4.0, 4.0, 1.0]
    assert "test loop failed; retrying" in caplog.text


def test_a_wait_that_raises_does_not_end_the_loop(monkeypatch):
    script = Script(False, False)

    def broken_wait(seconds: float) -> None:
        raise ConnectionError("redis down while waiting")

    slept: list[float] = []
    monkeypatch.setattr(workloop.eventlet, "sleep", slept.append)
    run(script, idle_wait=broken_wait, idle_seconds=0.25)
    assert slept == [0.25, 0.25]


def test_pause_defaults_to_the_idle_wait_so_a_stop_ends_it():
    down = ConnectionError("store down")
    script = Script(down)
    run(script, pause=None)
    assert script.waits == [("idle", 1.0)]
