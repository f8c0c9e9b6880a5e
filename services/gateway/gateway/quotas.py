"""Per-client quotas the gateway enforces itself (Redis, shared by every worker and
every gateway copy): fixed windows counted with INCR and an expiry."""

from __future__ import annotations

import logging

import redis

from gateway.errors import Problem

_log = logging.getLogger("gateway.quotas")


class ClientQuota:
    """At most ``limit`` hits per client address in each ``window`` seconds."""

    def __init__(self, client, prefix: str, name: str, limit: int, window: int):
        self.client = client
        self.prefix = prefix
        self.name = name
        self.limit = limit
        self.window = window

    def hit(self, address: str) -> None:
        """Count one hit; raise a 429 problem once the client is over its limit."""
        if self.limit <= 0:
            return
        key = f"{self.prefix}gateway:quota:{self.name}:{address}"
        try:
            pipe = self.client.pipeline()
            pipe.incr(key)
            pipe.expire(key, self.window, nx=True)
            pipe.ttl(key)
            count, _, ttl = pipe.execute()
        except redis.RedisError as exc:
            # Fail open: these quotas only blunt floods of cheap requests; the
            # services keep their own limits on what is costly (SMS sends, logins).
            _log.warning("quota %s not counted, Redis failed: %s", self.name, exc)
            return
        if count > self.limit:
            retry_after = ttl if ttl and ttl > 0 else self.window
            raise Problem(
                429,
                f"{self.name}_rate_limited",
                "Too many requests from this address; try again later.",
                {"Retry-After": str(retry_after)},
                retry_after=retry_after,
            )
