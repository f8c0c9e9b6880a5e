"""Back-off of durable work items (the claiming is tested against PostgreSQL)."""

from __future__ import annotations

import random

from servicekit.workqueue import Backoff


def test_backoff_doubles_up_to_the_cap_with_jitter():
    backoff = Backoff(base=1.0, maximum=30.0)
    rng = random.Random(1)
    for attempts, ceiling in [(1, 1), (2, 2), (3, 4), (5, 16), (6, 30), (40, 30)]:
        for _ in range(50):
            delay = backoff.delay(attempts, rng)
            assert ceiling * 0.5 <= delay <= ceiling
