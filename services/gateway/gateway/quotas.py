"""Per-client quotas the gateway enforces itself (Redis, shared by every worker and
every gateway copy): fixed windows counted by the maintained ``limits`` library.

The services count their quotas with ``servicekit.ratelimit``, which uses the same
library and strategy; the gateway may import only ``contracts`` of our packages
(an import-linter contract), and ``contracts`` holds no Redis code, so the gateway
uses ``limits`` directly here. A window starts at a client's first hit and ends by
itself (``INCRBY`` + ``EXPIRE`` in one Lua step); keys live under
``<REDIS_KEY_PREFIX>gateway:quota:``.
"""

from __future__ import annotations

import logging
import math
import time

import redis
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import FixedWindowRateLimiter

from gateway.errors import Problem

_log = logging.getLogger("gateway.quotas")


def quota_storage(client, prefix: str) -> Storage:
    """Counters on ``client``'s connection pool (no second pool, no connection made
    here). Anything but a ``redis.Redis`` (the unit tests' fake, or None where no
    route counts) gets counters in this process's memory."""
    if isinstance(client, redis.Redis):
        return RedisStorage(
            "redis://",
            connection_pool=client.connection_pool,
            key_prefix=f"{prefix}gateway:quota",
        )
    return MemoryStorage()


class ClientQuota:
    """At most ``limit`` hits per subject in each ``window`` seconds. The subject
    is the client address, or for a quota per target (``per_target=True``) a
    hash of what is asked about (never personal data in clear): the 429 then
    says so, with the same ``code``."""

    def __init__(
        self,
        client,
        prefix: str,
        name: str,
        limit: int,
        window: int,
        *,
        code: str = "",
        per_target: bool = False,
    ):
        self.limiter = FixedWindowRateLimiter(quota_storage(client, prefix))
        self.name = name
        self.limit = limit
        self.window = window
        self.code = code or f"{name}_rate_limited"
        self.detail = (
            "Too many requests about this one; try again later."
            if per_target
            else "Too many requests from this address; try again later."
        )

    def hit(self, address: str) -> None:
        """Count one hit of ``address`` (the subject); raise a 429 problem once it
        is over its limit."""
        if self.limit <= 0:
            return
        item = RateLimitItemPerSecond(self.limit, self.window)
        try:
            if self.limiter.hit(item, self.name, address):
                return
            reset_at = self.limiter.get_window_stats(
                item, self.name, address
            ).reset_time
        except redis.RedisError as exc:
            # Fail open: these quotas only blunt floods of cheap requests; the
            # services keep their own limits on what is costly (SMS sends, logins).
            _log.warning("quota %s not counted, Redis failed: %s", self.name, exc)
            return
        wait = math.ceil(reset_at - time.time())
        retry_after = wait if wait > 0 else self.window
        raise Problem(
            429,
            self.code,
            self.detail,
            {"Retry-After": str(retry_after)},
            retry_after=retry_after,
        )


def gateway_quota(ctx, name: str, limit: int, window: int) -> ClientQuota:
    """A per-client-address quota in the gateway's Redis, under its key prefix."""
    return ClientQuota(
        ctx.redis, ctx.settings.redis_key_prefix, name, limit, window=window
    )


def captcha_quota(ctx) -> ClientQuota:
    """Captchas per client address a minute: the API's and the pages' together."""
    return gateway_quota(ctx, "captcha", ctx.settings.captchas_per_minute, 60)


def login_unlock_quota(ctx) -> ClientQuota:
    """Login unlocks per client address an hour (both steps, API and pages)."""
    return gateway_quota(ctx, "login_unlock", ctx.settings.login_unlocks_per_hour, 3600)
