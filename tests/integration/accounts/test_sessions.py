"""Sessions: logging out, the absolute and the idle lifetime."""

from __future__ import annotations

import uuid

import pytest
from accounts import login
from accounts.sessions import SessionPolicy, SessionStore
from contracts.errors import Unauthenticated

from tests.integration.accounts.helpers import log_in, register
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def test_logout_ends_the_session(deps, otp):
    body, _ = register(deps, otp)
    answer = log_in(deps, body["login_name"])
    assert login.log_out(deps, answer["token"]) == {"ended": True}
    assert login.log_out(deps, answer["token"]) == {"ended": False}
    with pytest.raises(Unauthenticated):
        login.resolve_session(deps, answer["token"])
    for junk in (None, "", "x" * 500, "not a token!", 42):
        with pytest.raises(Unauthenticated):
            login.resolve_session(deps, junk)


def test_a_session_dies_after_its_absolute_lifetime(deps, otp, clock):
    body, _ = register(deps, otp)
    answer = log_in(deps, body["login_name"])
    clock.advance(hours=11, minutes=59)
    assert login.resolve_session(deps, answer["token"])
    clock.advance(minutes=2)
    with pytest.raises(Unauthenticated):
        login.resolve_session(deps, answer["token"])


def person_session(login_name: str) -> dict:
    """What a session of an ordinary person holds (the store's own tests need no
    account behind it)."""
    return {
        "account_id": str(uuid.uuid4()),
        "kind": "person",
        "role": "user",
        "login_name": login_name,
        "must_change_password": False,
    }


def test_a_session_dies_when_idle(keyspace):
    store = SessionStore(keyspace, SessionPolicy(idle_seconds=1, absolute_seconds=60))
    session = store.create(person_session("idle_user"))
    assert store.resolve(session["token"])
    key = keyspace.key("session", session["session_id"])
    # resolving would push the idle expiry forward: watch the key instead
    wait_for(lambda: not keyspace.client.exists(key), timeout=5, interval=0.1)
    assert store.resolve(session["token"]) is None


def test_use_keeps_a_session_alive_but_not_beyond_the_absolute_lifetime(keyspace):
    now = [1_000_000.0]
    store = SessionStore(
        keyspace,
        SessionPolicy(idle_seconds=1800, absolute_seconds=3600),
        clock=lambda: now[0],
    )
    session = store.create(person_session("busy_user"))
    key = keyspace.key("session", session["session_id"])
    now[0] += 3000
    assert store.resolve(session["token"])
    assert keyspace.client.ttl(key) <= 600  # capped by the absolute end, not 1800
