"""The Redis dependency provider.

Workers get a :class:`Keyspace`: the client and ``key()``, which prefixes every key
with ``REDIS_KEY_PREFIX`` so that tests (or two stacks) can share one Redis server
without touching each other's keys.
"""

from __future__ import annotations

import redis
from nameko.extensions import DependencyProvider


class Keyspace:
    def __init__(self, client: redis.Redis, prefix: str):
        self.client = client
        self.prefix = prefix

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False


class Redis(DependencyProvider):
    """Config: ``REDIS_URL``, ``REDIS_KEY_PREFIX``."""

    def setup(self):
        config = self.container.config
        client = redis.Redis.from_url(
            config["REDIS_URL"],
            socket_timeout=3,
            socket_connect_timeout=3,
            health_check_interval=30,
            decode_responses=True,
        )
        self.keyspace = Keyspace(client, config.get("REDIS_KEY_PREFIX") or "")

    def stop(self):
        self.keyspace.client.close()

    kill = stop

    def get_dependency(self, worker_ctx) -> Keyspace:
        return self.keyspace
