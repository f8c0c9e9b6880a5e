"""Resources of one test run, kept apart from a `make up` stack and other runs.

Each run gets its own PostgreSQL databases, RabbitMQ vhost, Redis key prefix and
gateway port; all are removed at the end of the run.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import redis
import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

PG_SERVER = os.environ.get(
    "TEST_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432"
)
AMQP_SERVER = os.environ.get("TEST_AMQP_SERVER", "amqp://guest:guest@127.0.0.1:5672")
RABBIT_API = os.environ.get("TEST_RABBIT_API", "http://guest:guest@127.0.0.1:15672/api")
REDIS_SERVER = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

DB_SERVICES = ("accounts", "verification", "recovery", "sso")
ROOT = Path(__file__).resolve().parents[2]


def drop_database(server: str, name: str) -> None:
    admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextlib.contextmanager
def migrated_engine(service: str, **engine_options) -> Iterator[sa.Engine]:
    """An engine on a fresh database of its own, migrated as ``service`` migrates
    (for handler tests without the service's processes); dropped on leaving."""
    from servicekit.migrate import upgrade

    name = f"{service}_h{secrets.token_hex(4)}"
    url = f"{PG_SERVER}/{name}"
    upgrade(ROOT / "services" / service, url)
    engine = sa.create_engine(url, **engine_options)
    try:
        yield engine
    finally:
        engine.dispose()
        drop_database(PG_SERVER, name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Isolation:
    """One run's resources; by default on the machine's shared servers. A fault
    drill passes the URLs of private servers it started (and ``rabbit_api=None`` for
    a private broker: its default vhost ``/`` is then the run's own)."""

    run_id: str = field(default_factory=lambda: "t" + secrets.token_hex(4))
    pg_server: str = PG_SERVER
    amqp_server: str = AMQP_SERVER
    rabbit_api: str | None = RABBIT_API
    redis_server: str = REDIS_SERVER

    def db_url(self, service: str) -> str:
        return f"{self.pg_server}/{service}_{self.run_id}"

    @property
    def vhost(self) -> str:
        return f"test-{self.run_id}" if self.rabbit_api else "/"

    @property
    def amqp_uri(self) -> str:
        return f"{self.amqp_server}/{quote(self.vhost, safe='')}"

    @property
    def redis_prefix(self) -> str:
        return f"{self.run_id}:"

    def env(self) -> dict[str, str]:
        env = {
            "AMQP_URI": self.amqp_uri,
            "REDIS_URL": self.redis_server,
            "REDIS_KEY_PREFIX": self.redis_prefix,
            "ENVIRONMENT": "test",
            "OUTBOX_RELAY_INTERVAL": "0.2",
            # verification's durable work: poll and retry fast, short leases
            "WORK_POLL_INTERVAL": "0.1",
            "WORK_RETRY_BASE_SECONDS": "0.2",
            "WORK_RETRY_MAX_SECONDS": "1",
            "WORK_LEASE_SECONDS": "4",
            "SUBJECT_RPC_TIMEOUT": "1.5",
            "AUTHORITY_LATENCY_MS": "10",
        }
        for service in DB_SERVICES:
            env[f"{service.upper()}_DB_URL"] = self.db_url(service)
        return env

    def create(self) -> None:
        if not self.rabbit_api:
            return
        api = requests.Session()
        response = api.put(
            f"{self.rabbit_api}/vhosts/{quote(self.vhost, safe='')}", timeout=10
        )
        response.raise_for_status()
        response = api.put(
            f"{self.rabbit_api}/permissions/{quote(self.vhost, safe='')}/guest",
            json={"configure": ".*", "write": ".*", "read": ".*"},
            timeout=10,
        )
        response.raise_for_status()

    def destroy(self) -> None:
        if self.rabbit_api:
            requests.delete(
                f"{self.rabbit_api}/vhosts/{quote(self.vhost, safe='')}", timeout=10
            )
        for service in DB_SERVICES:
            drop_database(self.pg_server, make_url(self.db_url(service)).database)
        client = redis.Redis.from_url(self.redis_server)
        keys = list(client.scan_iter(match=f"{self.redis_prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
