"""The accounts use cases against a real PostgreSQL (migrated) and Redis.

No Nameko and no broker: the use cases get a real repository, cipher, session
store and login guard, a fake otp, and an outbox writer on the same session.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
import redis
import sqlalchemy as sa
from accounts.deps import Deps, Settings
from accounts.login_guard import LoginGuard
from accounts.models import outbox
from accounts.passwords import PasswordHasher
from accounts.repository import Repository
from accounts.sessions import SessionStore
from accounts.settings import AccountsSettings
from contracts.errors import InvalidInput
from servicekit.crypto import PersonalDataCipher
from servicekit.outbox import add_event
from servicekit.ratelimit import FixedWindows
from servicekit.redis import Keyspace
from sqlalchemy.orm import Session

from tests.support.isolation import REDIS_SERVER, migrated_engine


class FakeOtp:
    """otp's contract, in memory: codes and captchas the test hands out."""

    def __init__(self):
        self.codes: dict[tuple[str, str], str] = {}
        self.captchas: dict[str, str] = {}
        self.verified: list[tuple[str, str]] = []
        self.captchas_checked = 0

    def issue_code(self, phone: str, purpose: str) -> str:
        code = f"{secrets.randbelow(10**6):06d}"
        self.codes[(phone, purpose)] = code
        return code

    def issue_sms_code(self, phone, purpose, client_ip):
        """What otp's ``issue_sms_code`` does, without the SMS: the test reads
        ``codes``."""
        self.issue_code(phone, purpose)

    def issue_captcha(self) -> tuple[str, str]:
        captcha_id, answer = secrets.token_hex(8), "ab12"
        self.captchas[captcha_id] = answer
        return captcha_id, answer

    def verify_sms_code(self, phone, purpose, code):
        if self.codes.get((phone, purpose)) != code:
            raise InvalidInput("sms_code_invalid", "wrong code", {"tries_left": 2})
        del self.codes[(phone, purpose)]
        self.verified.append((phone, purpose))

    def check_captcha(self, captcha_id, answer):
        self.captchas_checked += 1
        if self.captchas.pop(captcha_id, None) != answer:
            raise InvalidInput("captcha_invalid", "wrong captcha")


class Clock:
    def __init__(self):
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def accounts_engine():
    with migrated_engine("accounts") as engine:
        yield engine


@pytest.fixture
def keyspace():
    client = redis.Redis.from_url(REDIS_SERVER, decode_responses=True)
    prefix = f"th{secrets.token_hex(4)}:"
    yield Keyspace(client, prefix)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(scope="session")
def hasher():
    # Cheap parameters keep the suite fast; the production ones are tested in unit.
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def otp():
    return FakeOtp()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def make_deps(accounts_engine, keyspace, hasher, otp, clock):
    """``make_deps(**settings)``: handler deps on a database session of their own
    (one per thread in a race), with ``Settings`` overrides."""
    sessions: list[Session] = []

    def make(**settings) -> Deps:
        session = Session(accounts_engine, expire_on_commit=False)
        sessions.append(session)
        defaults = AccountsSettings.written_defaults()
        policy = defaults.login_policy()

        def emit(event):
            # As WorkerDatabase.emit: the event's model names its type and payload.
            return add_event(session, outbox, event, correlation_id=None)

        return Deps(
            repo=Repository(session),
            cipher=PersonalDataCipher.from_config({"ENVIRONMENT": "test"}),
            hasher=hasher,
            otp=otp,
            sessions=SessionStore(
                keyspace, defaults.session_policy(), clock=lambda: clock().timestamp()
            ),
            guard=LoginGuard(keyspace, policy),
            emit=emit,
            settings=Settings(login=policy, **settings),
            clock=clock,
            quotas=FixedWindows(keyspace, "accounts:quota"),
        )

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def deps(make_deps):
    return make_deps()


@pytest.fixture
def events(accounts_engine):
    """``events(account_id)``: [(event_type, data)] written to the outbox for it."""

    def read(account_id: str | None = None) -> list[tuple[str, dict]]:
        with accounts_engine.connect() as conn:
            rows = conn.execute(
                sa.select(outbox.c.event_type, outbox.c.envelope).order_by(
                    outbox.c.created_at
                )
            ).all()
        return [
            (row.event_type, row.envelope["data"])
            for row in rows
            if account_id is None
            or row.envelope["data"].get("account_id") == account_id
        ]

    return read
