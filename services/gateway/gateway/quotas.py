"""Per-client quotas in Redis, shared by every gateway process.

A fixed window per (quota, client address): the first hit starts the window,
the count resets when it ends. Over the limit answers 429 with ``Retry-After``.
"""

from __future__ import annotations

import logging

import redis

from gateway.errors import Problem

_log = logging.getLogger("gateway.quotas")


class Quota:
    def __init__(self, client, prefix: str, name: str, limit: int, window: int):
        self.client = client
        self.prefix = prefix
        self.name = name
        self.limit = limit
        self.window = window

    def hit(self, client_address: str) -> None:
        """Count one request of ``client_address``; 429 once over the limit.

        Fails open when Redis does not answer: the quotas here sit in front of
        checks that are also behind a captcha, so an outage costs protection
        depth, not correctness; refusing every request would cost more.
        """
        key = f"{self.prefix}quota:{self.name}:{client_address or 'unknown'}"
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.incr(key)
            pipe.expire(key, self.window, nx=True)
            pipe.ttl(key)
            count, _, ttl = pipe.execute()
        except redis.RedisError as exc:
            _log.warning("quota %s not counted (redis): %s", self.name, exc)
            return
        if count > self.limit:
            retry_after = ttl if ttl and ttl > 0 else self.window
            raise Problem(
                429,
                "rate_limited",
                "Too many requests from this address; try again later.",
                {"Retry-After": str(retry_after)},
                retry_after=retry_after,
            )
