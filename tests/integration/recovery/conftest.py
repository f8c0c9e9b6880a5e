"""recovery's appeal use cases against a real, migrated PostgreSQL and Redis (no
Nameko, no broker): one database and one Redis key prefix for the package's tests.
"""

from __future__ import annotations

import secrets

import pytest
import redis
from servicekit.redis import Keyspace

from tests.integration.recovery.appeal_fakes import Deps
from tests.support.isolation import REDIS_SERVER, migrated_engine


@pytest.fixture(scope="package")
def engine():
    with migrated_engine("recovery", pool_size=10) as engine:
        yield engine


@pytest.fixture(scope="package")
def keyspace():
    client = redis.Redis.from_url(REDIS_SERVER, decode_responses=True)
    space = Keyspace(client, f"rh{secrets.token_hex(4)}:")
    yield space
    for key in client.scan_iter(match=space.prefix + "*"):
        client.delete(key)
    client.close()


@pytest.fixture
def make(engine, keyspace):
    def make(**kwargs) -> Deps:
        return Deps(engine, keyspace, **kwargs)

    return make
