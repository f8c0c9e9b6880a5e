"""Resources of one test run, kept apart from a `make up` stack and other runs.

Each run gets its own PostgreSQL databases, RabbitMQ vhost, Redis key prefix and
gateway port; all are removed at the end of the run.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, field
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

DB_SERVICES = ("accounts", "verification", "recovery")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Isolation:
    run_id: str = field(default_factory=lambda: "t" + secrets.token_hex(4))

    def db_url(self, service: str) -> str:
        return f"{PG_SERVER}/{service}_{self.run_id}"

    @property
    def vhost(self) -> str:
        return f"test-{self.run_id}"

    @property
    def amqp_uri(self) -> str:
        return f"{AMQP_SERVER}/{quote(self.vhost, safe='')}"

    @property
    def redis_prefix(self) -> str:
        return f"{self.run_id}:"

    def env(self) -> dict[str, str]:
        env = {
            "AMQP_URI": self.amqp_uri,
            "REDIS_URL": REDIS_SERVER,
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
        api = requests.Session()
        response = api.put(
            f"{RABBIT_API}/vhosts/{quote(self.vhost, safe='')}", timeout=10
        )
        response.raise_for_status()
        response = api.put(
            f"{RABBIT_API}/permissions/{quote(self.vhost, safe='')}/guest",
            json={"configure": ".*", "write": ".*", "read": ".*"},
            timeout=10,
        )
        response.raise_for_status()

    def destroy(self) -> None:
        requests.delete(f"{RABBIT_API}/vhosts/{quote(self.vhost, safe='')}", timeout=10)
        admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for service in DB_SERVICES:
                name = make_url(self.db_url(service)).database
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        client = redis.Redis.from_url(REDIS_SERVER)
        keys = list(client.scan_iter(match=f"{self.redis_prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
