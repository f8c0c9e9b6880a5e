"""A fake RPC pool for gateway resource tests: answers from a table of callables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.rpc import ServiceUnavailable

ACCOUNT = {
    "session_id": "s" * 64,
    "account_id": "6f1c1b1e-8b7a-4f7e-9a51-0e3f4b0e2c11",
    "kind": "person",
    "role": "user",
    "login_name": "zhang_wei",
    "must_change_password": False,
}


def login_reply(real_name_status: str = "pending") -> dict:
    """accounts' ``log_in`` reply for ACCOUNT (session ``good-token``, CSRF
    token ``csrf-1``)."""
    return {
        "token": "good-token",
        "csrf_token": "csrf-1",
        "expires_in": 1800,
        "max_age": 43200,
        "must_change_password": False,
        "account": {
            **{k: ACCOUNT[k] for k in ("account_id", "kind", "role", "login_name")},
            "real_name_status": real_name_status,
        },
    }


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
