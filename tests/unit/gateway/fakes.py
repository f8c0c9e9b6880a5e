"""A fake RPC pool for gateway resource tests: answers from a table of callables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.rpc import ServiceUnavailable


class FakeRpc:
    def __init__(
        self, answers: dict[tuple[str, str], Callable[..., Any]] | None = None
    ):
        self.answers = dict(answers or {})
        self.calls: list[tuple[str, str, dict, dict]] = []

    def call(self, service, method, context=None, timeout=None, **kwargs):
        self.calls.append((service, method, kwargs, context or {}))
        answer = self.answers.get((service, method))
        if answer is None:
            raise ServiceUnavailable(service, "no instance is running")
        return answer(**kwargs)


class FakeRedis:
    """Enough of redis.Redis for /ready and the gateway's quotas (no expiry)."""

    def __init__(self, up: bool = True):
        self.up = up
        self.counters: dict[str, int] = {}

    def ping(self):
        if not self.up:
            raise ConnectionError("redis down")
        return True

    def pipeline(self):
        return _FakePipeline(self)


class _FakePipeline:
    def __init__(self, redis: FakeRedis):
        self.redis = redis
        self.results: list = []

    def incr(self, key):
        self.redis.counters[key] = self.redis.counters.get(key, 0) + 1
        self.results.append(self.redis.counters[key])

    def expire(self, key, seconds, nx=False):
        self.results.append(True)

    def ttl(self, key):
        self.results.append(60)

    def execute(self):
        results, self.results = self.results, []
        return results


def pinging(*services: str) -> FakeRpc:
    return FakeRpc(
        {
            (name, "ping"): (
                lambda name=name: {
                    "service": name,
                    "version": "0.1.0",
                    "ok": True,
                    "stores": {"redis": True},
                }
            )
            for name in services
        }
    )
