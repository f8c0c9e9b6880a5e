"""Rate limits of the services: fixed windows in Redis, counted by `limits`.

A service states its numbers (``limit`` uses per ``window`` seconds for a named
quota) and this module counts them with the maintained ``limits`` library's
fixed-window strategy: one counter per (quota, subject), created with its expiry
by the first use (``INCRBY`` + ``EXPIRE`` in one Lua step), so the window starts
at the first use, is shared by every copy of the service, and ends by itself.
Keys live under the service's ``REDIS_KEY_PREFIX`` (``<prefix><namespace>:...``),
so two stacks or test runs on one Redis never count each other's uses.

What is not here, on purpose: otp's send quotas are checked and counted inside
the Lua script that stores the code (they must be atomic with it), and the
accounts login throttle gives attempts back and locks names, which is no plain
rate limit. The gateway cannot import servicekit; it uses ``limits`` directly in
``gateway.quotas`` with the same strategy.

Fail-open or closed is the caller's choice: :meth:`FixedWindows.hit` lets Redis
errors through.
"""

from __future__ import annotations

import math
import time

import redis
from limits import RateLimitItemPerSecond
from limits.storage import RedisStorage, Storage
from limits.strategies import FixedWindowRateLimiter


def seconds_to_wait(
    limiter: FixedWindowRateLimiter, limit: int, window: int, *subject: str
) -> int:
    """Count one use of ``subject`` against ``limit`` per ``window`` seconds:
    0 while within it, else the whole seconds until its window ends (at least 1).
    """
    item = RateLimitItemPerSecond(limit, window)
    if limiter.hit(item, *subject):
        return 0
    reset_at = limiter.get_window_stats(item, *subject).reset_time
    return max(1, math.ceil(reset_at - time.time()))


def redis_storage(client: redis.Redis, key_prefix: str) -> Storage:
    """A ``limits`` storage on ``client``'s connection pool, keys under
    ``key_prefix:`` (no second pool, no connection made here)."""
    return RedisStorage(
        "redis://", connection_pool=client.connection_pool, key_prefix=key_prefix
    )


class FixedWindows:
    """Named quotas of one service: ``hit`` counts one use, says how long to wait.

    ``keyspace`` is :class:`servicekit.redis.Keyspace` (its client and prefix);
    ``namespace`` (e.g. ``"recovery:quota"``) follows the prefix in every key.
    """

    def __init__(self, keyspace, namespace: str):
        storage = redis_storage(keyspace.client, keyspace.key(namespace))
        self.limiter = FixedWindowRateLimiter(storage)

    def hit(self, name: str, subject: str, limit: int, window: int) -> int:
        """0 when this use is within ``limit`` per ``window`` seconds, else the
        seconds until the window ends. ``subject`` is never personal data in
        clear (callers pass a keyed hash or an address)."""
        return seconds_to_wait(self.limiter, limit, window, name, subject)
