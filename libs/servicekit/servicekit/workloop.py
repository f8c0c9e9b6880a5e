"""The one back-off formula and the one background work loop of the platform.

Two kinds of durable work run in the background: work items in PostgreSQL
(:mod:`servicekit.workqueue`: verification's identity checks) and otp's SMS jobs in
Redis (``otp.delivery``, kept in Redis because a job is queued in the same Lua step
that admits the code). Their storage differs; how they wait, retry and survive an
outage does not, so it is written here once:

- :func:`backoff`: seconds before try ``attempt + 1``, ``base·2^(attempt-1)``
  capped at ``cap``, times a jitter in [0.5, 1.0] so that copies that failed
  together do not retry together (a thundering herd on a carrier that comes back).
  Used for a failed item's next attempt and for the loop's own pause after it
  could not reach its store.
- :func:`run_work_loop`: repeat one *step* (claim due work and start it) until
  told to stop; when nothing was due, wait (the caller's wait may end early when
  work arrives); when the step itself failed (a store down), log it and pause
  with :func:`backoff`. The loop never dies of an exception: an outage delays
  work, never stops it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

import eventlet


def backoff(
    attempt: int,
    base: float,
    cap: float,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after failed try number ``attempt`` (1 for the first).

    ``rand`` returns a float in [0, 1); tests pass a constant to fix the jitter.
    """
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return ceiling * (0.5 + 0.5 * rand())


def run_work_loop(
    step: Callable[[], bool],
    *,
    should_stop: Callable[[], bool],
    idle_wait: Callable[[float], None],
    idle_seconds: float,
    retry_base: float,
    retry_cap: float,
    logger: logging.Logger,
    name: str,
    pause: Callable[[float], None] | None = None,
    rand: Callable[[], float] = random.random,
) -> None:
    """Run ``step`` until ``should_stop()``; see the module docstring.

    ``step`` returns True when it found work (the loop goes on at once) and False
    when nothing was due (the loop calls ``idle_wait(idle_seconds)``). After the
    n-th failure in a row the loop calls ``pause(backoff(n, retry_base,
    retry_cap))``; ``pause`` defaults to ``idle_wait`` so that a wait a stop can
    interrupt also ends a long pause at once. A wait that raises (its store is
    down too) is replaced by a plain sleep of the same length.
    """
    pause = pause or idle_wait
    failures = 0
    while not should_stop():
        try:
            busy = step()
            failures = 0
        except Exception:  # the loop must outlive any outage (logged with its trace)
            failures += 1
            logger.warning("%s failed; retrying", name, exc_info=True)
            _wait(pause, backoff(failures, retry_base, retry_cap, rand))
            continue
        if not busy:
            _wait(idle_wait, idle_seconds)


def _wait(wait: Callable[[float], None], seconds: float) -> None:
    try:
        wait(seconds)
    except Exception:  # noqa: BLE001 - e.g. Redis down while waiting: sleep instead
        eventlet.sleep(seconds)
