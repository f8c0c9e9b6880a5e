"""Logging in: the session it opens, the same answer for an unknown name and a wrong
password, the captcha after three failures and the lock after five, parallel
guesses, old hashes upgraded.
"""

from __future__ import annotations

import contextlib
import uuid

import argon2
import pytest
import sqlalchemy as sa
from accounts import login
from accounts.models import accounts
from accounts.passwords import PasswordHasher
from contracts.errors import CaptchaRequired, InvalidInput, Locked, Unauthenticated

from tests import identity_data as gen
from tests.integration.accounts.helpers import IP, log_in, register

pytestmark = pytest.mark.integration


def test_log_in_opens_a_session_that_resolves_to_the_account(deps, otp):
    body, registered = register(deps, otp)
    answer = log_in(deps, body["login_name"].upper())
    assert answer["account"] == {
        "account_id": registered["account_id"],
        "kind": "person",
        "login_name": body["login_name"],
        "role": "user",
        "real_name_status": "pending",
    }
    assert answer["must_change_password"] is False
    assert len(answer["token"]) >= 43  # 256 bits, base64url
    session = login.resolve_session(deps, answer["token"], answer["csrf_token"])
    assert session["account_id"] == registered["account_id"]
    assert session["csrf_ok"] is True
    assert login.resolve_session(deps, answer["token"], "wrong")["csrf_ok"] is False
    assert login.resolve_session(deps, answer["token"])["csrf_ok"] is False
    # a new token at every login
    assert log_in(deps, body["login_name"])["token"] != answer["token"]


def test_tokens_are_stored_hashed(deps, otp, keyspace):
    body, _ = register(deps, otp)
    answer = log_in(deps, body["login_name"])
    stored = "".join(
        k + (keyspace.client.get(k) or "")
        for k in keyspace.client.scan_iter(match=f"{keyspace.prefix}session:*")
    )
    assert answer["token"] not in stored and answer["csrf_token"] not in stored


def test_unknown_name_and_wrong_password_get_the_same_answer_and_cost(
    deps, otp, hasher
):
    body, _ = register(deps, otp)
    answers = []
    for name, password in (
        (body["login_name"], "Wrong-pass1"),
        ("nobody_here_1", "Wrong-pass1"),
    ):
        before = hasher.checks
        with pytest.raises(Unauthenticated) as err:
            log_in(deps, name, password)
        assert hasher.checks == before + 1
        answers.append((err.value.error_code, err.value.message, err.value.details))
    assert answers[0] == answers[1]
    assert answers[0][0] == "invalid_credentials"


def test_captcha_after_three_failures_lock_after_five_with_an_event(
    deps, otp, hasher, events
):
    body, registered = register(deps, otp)
    name = body["login_name"]
    for number in (1, 2, 3):
        with pytest.raises(Unauthenticated) as err:
            log_in(deps, name, "Wrong-pass1")
        assert err.value.details["captcha_required"] is (number >= 3)
    checks = hasher.checks
    with pytest.raises(CaptchaRequired):
        log_in(deps, name, "Wrong-pass1")
    with pytest.raises(CaptchaRequired):  # even with the right password
        log_in(deps, name)
    with pytest.raises(InvalidInput) as err:
        log_in(deps, name, captcha=("nope", "nope"))
    assert err.value.details["errors"][0]["code"] == "captcha_invalid"
    assert hasher.checks == checks  # none of those touched a hash
    with pytest.raises(Unauthenticated):
        log_in(deps, name, "Wrong-pass1", captcha=otp.issue_captcha())
    with pytest.raises(Locked) as err:
        log_in(deps, name, "Wrong-pass1", captcha=otp.issue_captcha())
    assert err.value.details["retry_after"] == 900
    assert hasher.checks == checks + 2
    # locked: even the right password with a captcha is refused, without a hash
    with pytest.raises(Locked):
        log_in(deps, name, captcha=otp.issue_captcha())
    assert hasher.checks == checks + 2
    assert [
        e for e in events(registered["account_id"]) if e[0] == "account_locked"
    ] == [
        (
            "account_locked",
            {
                "account_id": registered["account_id"],
                "account_kind": "person",
                "locked_seconds": 900,
            },
        )
    ]


def test_the_guard_alone_decides_with_the_numbers_of_its_policy(
    deps, otp, keyspace, events
):
    """Other numbers in LoginPolicy change every answer: nothing else holds them."""
    import dataclasses

    from accounts.login_guard import LoginGuard
    from accounts.settings import AccountsSettings

    policy = AccountsSettings(
        LOGIN_CAPTCHA_AFTER=1, LOGIN_LOCK_AFTER=2, LOGIN_LOCK_SECONDS=60
    ).login_policy()
    strict = dataclasses.replace(deps, guard=LoginGuard(keyspace, policy))
    body, registered = register(deps, otp)
    name = body["login_name"]
    with pytest.raises(Unauthenticated) as err:
        log_in(strict, name, "Wrong-pass1")
    assert err.value.details["captcha_required"] is True
    with pytest.raises(CaptchaRequired):
        log_in(strict, name, "Wrong-pass1")
    with pytest.raises(Locked) as err:
        log_in(strict, name, "Wrong-pass1", captcha=otp.issue_captcha())
    assert err.value.details["retry_after"] == 60
    locked = [
        data
        for kind, data in events(registered["account_id"])
        if kind == "account_locked"
    ]
    assert [data["locked_seconds"] for data in locked] == [60]


def test_an_unknown_name_is_locked_the_same_way(deps, otp, events):
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            log_in(deps, "ghost_account", "Wrong-pass1")
    with pytest.raises(CaptchaRequired):
        log_in(deps, "ghost_account", "Wrong-pass1")
    with pytest.raises(Unauthenticated):
        log_in(deps, "ghost_account", "Wrong-pass1", captcha=otp.issue_captcha())
    with pytest.raises(Locked):
        log_in(deps, "ghost_account", "Wrong-pass1", captcha=otp.issue_captcha())


def test_success_clears_the_count(deps, otp):
    body, _ = register(deps, otp)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            log_in(deps, body["login_name"], "Wrong-pass1")
    log_in(deps, body["login_name"])
    for _ in range(2):
        with pytest.raises(Unauthenticated) as err:
            log_in(deps, body["login_name"], "Wrong-pass1")
        assert err.value.details["captcha_required"] is False


def test_giving_back_an_attempt_never_goes_below_zero(keyspace):
    from accounts.login_guard import LoginGuard, name_key
    from accounts.settings import AccountsSettings

    guard = LoginGuard(keyspace, AccountsSettings.written_defaults().login_policy())
    guard.give_back("nobody_at_all")  # the window ended: no key
    assert (
        keyspace.client.get(keyspace.key("login-failures", name_key("nobody_at_all")))
        is None
    )
    attempt = guard.begin("nobody_at_all", IP)
    guard.give_back("nobody_at_all")
    guard.give_back("nobody_at_all")
    assert guard.begin("nobody_at_all", IP).number == attempt.number


def test_failures_from_one_address_require_a_captcha_for_every_name(deps, otp):
    body, _ = register(deps, otp)
    for i in range(10):
        with pytest.raises(Unauthenticated):
            log_in(deps, f"spray_target_{i}", "Wrong-pass1", ip="203.0.113.9")
    with pytest.raises(CaptchaRequired):
        log_in(deps, body["login_name"], ip="203.0.113.9")
    assert log_in(deps, body["login_name"], ip="203.0.113.10")["token"]


def test_a_thousand_parallel_guesses_cost_at_most_a_handful_of_hash_checks(
    deps, otp, hasher, accounts_engine
):
    import concurrent.futures
    import dataclasses

    from accounts.repository import Repository
    from sqlalchemy.orm import Session

    body, _ = register(deps, otp)
    before = hasher.checks

    def guess(i):
        # one session per thread, as one per worker in the service
        with Session(accounts_engine) as session:
            mine = dataclasses.replace(deps, repo=Repository(session))
            with contextlib.suppress(Unauthenticated, CaptchaRequired, Locked):
                log_in(mine, body["login_name"], f"Wrong-pass{i}")

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(guess, range(1000)))
    assert hasher.checks - before <= 3


def test_an_old_hash_is_upgraded_at_login(deps, otp, accounts_engine):
    body, registered = register(deps, otp)
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
    with accounts_engine.begin() as conn:
        conn.execute(
            sa.update(accounts)
            .where(accounts.c.id == uuid.UUID(registered["account_id"]))
            .values(password_hash=weak.hash(gen.PASSWORD))
        )
    log_in(deps, body["login_name"])
    with accounts_engine.connect() as conn:
        stored = conn.execute(
            sa.select(accounts.c.password_hash).where(
                accounts.c.id == uuid.UUID(registered["account_id"])
            )
        ).scalar_one()
    assert argon2.extract_parameters(stored).memory_cost == 1024
    assert not deps.hasher.needs_rehash(stored)
    assert log_in(deps, body["login_name"])["token"]


def test_the_production_hasher_upgrades_what_the_tests_store():
    production = PasswordHasher()
    cheap = PasswordHasher(time_cost=1, memory_cost=1024)
    assert production.needs_rehash(cheap.hash("Abcdefg1!"))
