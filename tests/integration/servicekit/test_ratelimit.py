"""servicekit.ratelimit (the services' one rate limiter) against a real Redis."""

from __future__ import annotations

import pytest
import redis
from servicekit.ratelimit import FixedWindows
from servicekit.redis import Keyspace

from tests.support.isolation import REDIS_SERVER

pytestmark = pytest.mark.integration


@pytest.fixture
def client():
    client = redis.Redis.from_url(REDIS_SERVER, decode_responses=True)
    yield client
    client.close()


def test_uses_within_the_limit_pass_then_the_wait_is_the_rest_of_the_window(
    client, isolation
):
    quotas = FixedWindows(Keyspace(client, isolation.redis_prefix), "svc:quota")
    assert [quotas.hit("start", "subject-1", 3, 60) for _ in range(3)] == [0, 0, 0]
    wait = quotas.hit("start", "subject-1", 3, 60)
    assert 0 < wait <= 60
    # another subject and another quota name count apart
    assert quotas.hit("start", "subject-2", 3, 60) == 0
    assert quotas.hit("finish", "subject-1", 3, 60) == 0


def test_keys_live_under_the_service_prefix_and_expire(client, isolation):
    prefix = isolation.redis_prefix + "rl:"
    FixedWindows(Keyspace(client, prefix), "svc:quota").hit("once", "s", 5, 30)
    keys = list(client.scan_iter(match="*once/s/5*"))
    assert keys and all(key.startswith(prefix + "svc:quota:") for key in keys)
    assert all(0 < client.ttl(key) <= 30 for key in keys)
    # a second stack on the same server (another prefix) has its own counters
    other = FixedWindows(Keyspace(client, prefix + "other:"), "svc:quota")
    assert other.hit("once", "s", 1, 30) == 0


def test_a_limit_of_zero_refuses_at_once(client, isolation):
    quotas = FixedWindows(Keyspace(client, isolation.redis_prefix), "svc:quota")
    assert quotas.hit("closed", "s", 0, 10) > 0
