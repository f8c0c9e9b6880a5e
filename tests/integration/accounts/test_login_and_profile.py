"""Log in, throttling, sessions, my information, verification outcomes, reviewers."""

from __future__ import annotations

import contextlib
import json
import random
import uuid
from datetime import date, timedelta

import argon2
import pytest
import sqlalchemy as sa
from accounts import (
    credentials,
    login,
    profile,
    real_name,
    recovery_lookups,
    registration,
    reviewers,
    unlock,
)
from accounts.models import accounts
from accounts.passwords import PasswordHasher
from accounts.sessions import SessionPolicy, SessionStore
from contracts.accounts import LoginUnlock, UnlockCodeRequest
from contracts.errors import (
    CaptchaRequired,
    InvalidInput,
    Locked,
    NotFound,
    Unauthenticated,
)
from contracts.events import Envelope
from contracts.phones import normalize_phone
from contracts.verification import (
    VerificationFailed,
    VerificationPassed,
    VerificationReviewRequested,
)

from tests import identity_data as gen
from tests.integration.accounts.test_registration import register_org
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

IP = "198.51.100.7"


def register(deps, otp, **overrides) -> tuple[dict, dict]:
    body = gen.person_registration(random.Random(), **overrides)
    body["sms_code"] = otp.issue_code(normalize_phone(body["phone"]), "register_person")
    return body, registration.register_person(deps, body)


def log_in(deps, name, password=gen.PASSWORD, ip=IP, captcha=(None, None)):
    return login.log_in(deps, name, password, ip, *captcha)


# --- log in -----------------------------------------------------------------------------


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


def lock_name(deps, otp, name: str, ip: str) -> None:
    """Five wrong passwords from ``ip`` (captchas solved when asked)."""
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            log_in(deps, name, "Wrong-pass1", ip=ip)
    with pytest.raises(Unauthenticated):
        log_in(deps, name, "Wrong-pass1", ip=ip, captcha=otp.issue_captcha())
    with pytest.raises(Locked):
        log_in(deps, name, "Wrong-pass1", ip=ip, captcha=otp.issue_captcha())


def test_an_sms_unlock_gives_its_address_a_pass_until_a_wrong_password(deps, otp):
    body, _ = register(deps, otp)
    name, phone = body["login_name"], normalize_phone(body["phone"])
    owner_ip = "198.51.100.50"
    lock_name(deps, otp, name, IP)

    def ask(phone: str) -> None:
        captcha_id, answer = otp.issue_captcha()
        request = UnlockCodeRequest(
            login_name=name, phone=phone, captcha_id=captcha_id, captcha_answer=answer
        )
        unlock.send_unlock_code(deps, request, owner_ip)

    ask("+8613900000000")  # not the reserved phone: nothing sent
    assert ("+8613900000000", "login_unlock") not in otp.codes
    with pytest.raises(InvalidInput) as err:
        unlock.unlock_login(
            deps,
            LoginUnlock(login_name=name, phone="+8613900000000", sms_code="123456"),
            owner_ip,
        )
    assert err.value.details["errors"][0]["code"] == "sms_code_expired"
    ask(body["phone"])
    code = otp.codes[(phone, "login_unlock")]
    unlock.unlock_login(
        deps, LoginUnlock(login_name=name, phone=phone, sms_code=code), owner_ip
    )
    assert (phone, "login_unlock") in otp.verified

    lock_name(deps, otp, name, IP)  # locked again from elsewhere
    with pytest.raises(Locked):
        log_in(deps, name, ip=IP)
    # the owner's address: no lock, no captcha; a wrong password ends the pass
    with pytest.raises(Unauthenticated):
        log_in(deps, name, "Wrong-pass1", ip=owner_ip)
    with pytest.raises(Locked):
        log_in(deps, name, ip=owner_ip)


def test_an_unlock_pass_is_good_for_a_few_attempts_even_in_a_burst(keyspace):
    from accounts.login_guard import LoginGuard
    from accounts.settings import AccountsSettings

    guard = LoginGuard(keyspace, AccountsSettings.written_defaults().login_policy())
    name, owner_ip = f"pass_{uuid.uuid4().hex[:8]}", "198.51.100.60"
    guard.unlock(name, owner_ip)
    for _ in range(5):  # locked again from elsewhere
        guard.failed(name, IP, guard.begin(name, IP))
    assert guard.begin(name, IP).locked_for > 0
    attempts = [guard.begin(name, owner_ip) for _ in range(4)]
    assert [a.passed for a in attempts] == [True, True, True, False]
    assert not any(a.locked_for or a.captcha_required for a in attempts[:3])
    assert attempts[3].locked_for > 0


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


# --- sessions ---------------------------------------------------------------------------


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


# --- change password --------------------------------------------------------------------


def test_changing_the_password_ends_every_other_session(deps, otp, events):
    body, registered = register(deps, otp)
    first = log_in(deps, body["login_name"])
    second = log_in(deps, body["login_name"])
    current = login.resolve_session(deps, second["token"])
    answer = credentials.change_password(
        deps,
        registered["account_id"],
        current["session_id"],
        gen.PASSWORD,
        "New-Secret-99x",
        "New-Secret-99x",
    )
    assert answer == {"sessions_ended": 1}
    with pytest.raises(Unauthenticated):
        login.resolve_session(deps, first["token"])
    assert login.resolve_session(deps, second["token"])
    with pytest.raises(Unauthenticated):
        log_in(deps, body["login_name"])
    assert log_in(deps, body["login_name"], "New-Secret-99x")
    assert (
        "password_changed",
        {
            "account_id": registered["account_id"],
            "account_kind": "person",
            "reason": "changed",
        },
    ) in events(registered["account_id"])


def test_password_change_errors(deps, otp):
    body, registered = register(deps, otp)
    session = login.resolve_session(deps, log_in(deps, body["login_name"])["token"])
    cases = [
        (
            ("Wrong-pass1", "New-Secret-99x"),
            {"current_password": "current_password_wrong"},
        ),
        ((gen.PASSWORD, "short"), {"new_password": "password_too_weak"}),
        (
            (gen.PASSWORD, f"X1!{body['login_name']}"),
            {"new_password": "password_too_weak"},
        ),
        ((gen.PASSWORD, gen.PASSWORD), {"new_password": "password_unchanged"}),
    ]
    for (current, new), expected in cases:
        with pytest.raises(InvalidInput) as err:
            credentials.change_password(
                deps, registered["account_id"], session["session_id"], current, new
            )
        assert {e["field"]: e["code"] for e in err.value.details["errors"]} == expected
    with pytest.raises(InvalidInput) as err:
        credentials.change_password(
            deps,
            registered["account_id"],
            session["session_id"],
            gen.PASSWORD,
            "New-Secret-99x",
            "New-Secret-98x",
        )
    assert err.value.details["errors"][0]["code"] == "password_mismatch"


# --- my information ---------------------------------------------------------------------


def test_me_is_masked_with_gender_and_birth_date_from_the_id(deps, otp):
    doc = gen.resident_id(born=date(1988, 8, 8), gender="female")
    body, registered = register(deps, otp, doc_number=doc, phone="13812345141")
    me = profile.get_me(deps, registered["account_id"])
    assert me["real_name_status"] == "pending" and me["real_name_reason"] is None
    shown = me["profile"]
    assert shown["mobile"] == "13*****141"
    assert shown["doc_number"] == doc[:3] + "********" + doc[-2:]
    assert shown["gender"] == "female"
    assert shown["birth_date"] == "1988-08-08"
    assert shown["derived_from_document"] is True
    assert body["phone"] not in str(me) and doc not in str(me)
    with pytest.raises(NotFound):
        profile.get_me(deps, str(uuid.uuid4()))


def test_changing_a_verified_field_restarts_verification(deps, otp, events):
    _, registered = register(deps, otp)
    account_id = registered["account_id"]
    real_name.apply_verification_outcome(
        deps, outcome("verification_passed", account_id, deps.clock())
    )
    deps.repo.session.commit()
    assert profile.get_me(deps, account_id)["real_name_status"] == "passed"

    me = profile.update_profile(
        deps,
        account_id,
        {"title": "工程师", "email": "zw@example.cn", "telephone": "010-12345678"},
    )
    assert me["real_name_status"] == "passed"  # unverified fields only
    assert me["profile"]["telephone"] == "01*****678"
    assert events(account_id)[-1] == (
        "profile_changed",
        {
            "account_id": account_id,
            "account_kind": "person",
            "reverify": False,
            "changed_fields": ["email", "telephone", "title"],
        },
    )

    me = profile.update_profile(deps, account_id, {"name": "张伟伟"})
    assert me["real_name_status"] == "pending"
    assert events(account_id)[-1] == (
        "profile_changed",
        {
            "account_id": account_id,
            "account_kind": "person",
            "reverify": True,
            "changed_fields": ["name"],
        },
    )
    # the same values again are no change and no event
    count = len(events(account_id))
    profile.update_profile(deps, account_id, {"name": "张伟伟", "title": "工程师"})
    assert len(events(account_id)) == count
    assert "12345678" not in str(events(account_id))


def test_a_person_changes_the_reserved_phone_with_a_code_sent_to_it(deps, otp, events):
    body, registered = register(deps, otp, phone="13812345141")
    account_id = registered["account_id"]
    new = "+8613998765432"
    me = profile.change_phone(
        deps, account_id, "13998765432", otp.issue_code(new, "change_phone")
    )
    assert me["profile"]["mobile"] == "13*****432"
    assert me["real_name_status"] == "pending"  # as before: phones are not verified
    assert recovery_lookups.reserved_phone_matches(deps, account_id, new)
    assert not recovery_lookups.reserved_phone_matches(deps, account_id, body["phone"])
    assert events(account_id)[-1] == (
        "profile_changed",
        {
            "account_id": account_id,
            "account_kind": "person",
            "reverify": False,
            "changed_fields": ["phone"],
        },
    )
    assert "13998765432" not in str(events(account_id))


def test_an_organisation_changes_its_main_agents_phone(deps, otp):
    _, registered = register_org(deps, otp)
    account_id = registered["account_id"]
    new = "+8613698765433"
    me = profile.change_phone(
        deps, account_id, new, otp.issue_code(new, "change_phone")
    )
    assert me["profile"]["mobile"] == "13*****433"
    assert me["profile"]["main_agent"]["mobile"] == "13*****433"
    assert recovery_lookups.reserved_phone_matches(deps, account_id, new)


def test_a_phone_change_is_refused_before_the_code_is_spent(deps, otp, events):
    body, registered = register(deps, otp, phone="13812345142")
    account_id = registered["account_id"]
    before = len(events(account_id))
    cases = [
        ("1381234", "123456", "phone", "phone_invalid"),
        ("13812345142", "123456", "phone", "phone_unchanged"),
        ("13912345143", "12ab", "sms_code", "sms_code_invalid"),
    ]
    for phone, code, field, error in cases:
        with pytest.raises(InvalidInput) as err:
            profile.change_phone(deps, account_id, phone, code)
        assert {e["field"]: e["code"] for e in err.value.details["errors"]} == {
            field: error
        }
    # a wrong code for the right phone is refused by otp, and nothing changes
    otp.issue_code("+8613912345143", "change_phone")
    with pytest.raises(InvalidInput) as err:
        profile.change_phone(deps, account_id, "13912345143", "000000")
    assert err.value.details["errors"][0]["code"] == "sms_code_invalid"
    assert otp.verified == [(normalize_phone(body["phone"]), "register_person")]
    assert recovery_lookups.reserved_phone_matches(deps, account_id, body["phone"])
    assert len(events(account_id)) == before


def test_the_verification_subject_is_in_clear_for_verification(deps, otp):
    body, registered = register(deps, otp)
    assert real_name.get_verification_subject(deps, registered["account_id"]) == {
        "account_id": registered["account_id"],
        "account_kind": "person",
        "name": body["name"],
        "identity_region": "mainland",
        "doc_type": "resident_id",
        "doc_number": body["doc_number"],
    }
    with pytest.raises(NotFound):
        real_name.get_verification_subject(deps, str(uuid.uuid4()))


def test_profile_field_rules(deps, otp):
    _, registered = register(deps, otp)
    changes = {
        "gender": "female",
        "birth_date": "1990-01-01",
        "login_name": "new_name",
        "email": "not-an-email",
        "name": "",
    }
    # the shape (the model's rules) first, then the rules of the account
    with pytest.raises(InvalidInput) as err:
        profile.update_profile(deps, registered["account_id"], changes)
    assert {e["field"]: e["code"] for e in err.value.details["errors"]} == {
        "email": "email_invalid",
    }
    changes["email"] = "wei@example.cn"
    with pytest.raises(InvalidInput) as err:
        profile.update_profile(deps, registered["account_id"], changes)
    assert {e["field"]: e["code"] for e in err.value.details["errors"]} == {
        "gender": "field_not_editable",
        "birth_date": "field_not_editable",
        "login_name": "field_not_editable",
        "name": "required",
    }


def test_a_passport_holder_sets_gender_and_birth_date(deps, otp):
    _, registered = register(
        deps, otp, identity_region="other", doc_type="passport", doc_number="E98765432"
    )
    me = profile.update_profile(
        deps, registered["account_id"], {"gender": "male", "birth_date": "1979-05-04"}
    )
    assert (me["profile"]["gender"], me["profile"]["birth_date"]) == (
        "male",
        "1979-05-04",
    )


# --- verification outcomes --------------------------------------------------------------


OUTCOMES = {
    "verification_passed": (
        VerificationPassed,
        {"reason_code": "authority_match", "status": "passed", "final": False},
    ),
    "verification_failed": (
        VerificationFailed,
        {"reason_code": "no_record", "status": "failed", "final": False},
    ),
    "verification_review_requested": (VerificationReviewRequested, {}),
}


def outcome(event_type, account_id, occurred_at, account_kind="person", **data):
    """A delivered verification event as accounts' consumer receives it; ``data``
    overrides the model's fields."""
    model, defaults = OUTCOMES[event_type]
    return Envelope[model](
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        source="verification",
        occurred_at=occurred_at,
        correlation_id=None,
        data=model(
            account_id=account_id,
            account_kind=account_kind,
            case_id="vrf_test",
            **{**defaults, **data},
        ),
    )


def test_verification_outcomes_keep_the_status_current_and_stale_ones_are_ignored(
    deps, otp
):
    _, registered = register(deps, otp)
    account_id = registered["account_id"]
    later = deps.clock() + timedelta(seconds=5)

    def apply(event_type, when, **data):
        with deps.repo.transaction():
            return real_name.apply_verification_outcome(
                deps, outcome(event_type, account_id, when, **data)
            )

    assert apply("verification_failed", later, reason_code="name_mismatch")
    me = profile.get_me(deps, account_id)
    assert (me["real_name_status"], me["real_name_reason"]) == (
        "failed",
        "name_mismatch",
    )
    # an outcome that happened before the last change is stale
    assert not apply("verification_passed", later - timedelta(seconds=1))
    assert profile.get_me(deps, account_id)["real_name_status"] == "failed"
    assert apply("verification_review_requested", later + timedelta(seconds=1))
    assert profile.get_me(deps, account_id)["real_name_status"] == "manual_review"
    assert apply(
        "verification_failed",
        later + timedelta(seconds=2),
        reason_code="reviewer_rejected",
        status="rejected",
        final=True,
    )
    assert profile.get_me(deps, account_id)["real_name_status"] == "rejected"
    with deps.repo.transaction():
        bad = outcome("verification_passed", "not-a-uuid", later + timedelta(seconds=3))
        assert not real_name.apply_verification_outcome(deps, bad)


# --- reviewers ---------------------------------------------------------------------------


def test_a_reviewer_must_change_the_temporary_password_first(deps, clock):
    created = reviewers.create_reviewer(deps, "reviewer_one", "李审核")
    answer = log_in(deps, "reviewer_one", created["temporary_password"])
    assert answer["must_change_password"] is True
    assert answer["account"]["role"] == "reviewer"
    session = login.resolve_session(deps, answer["token"])
    assert session["must_change_password"] is True
    credentials.change_password(
        deps,
        session["account_id"],
        session["session_id"],
        created["temporary_password"],
        "Reviewer-Pass-1",
    )
    assert login.resolve_session(deps, answer["token"])["must_change_password"] is False
    me = profile.get_me(deps, session["account_id"])
    assert (me["kind"], me["role"], me["profile"]) == (
        "staff",
        "reviewer",
        {"name": "李审核"},
    )


def test_an_expired_temporary_password_does_not_log_in(deps, clock):
    created = reviewers.create_reviewer(deps, "reviewer_two", "王审核")
    clock.advance(hours=73)
    with pytest.raises(Unauthenticated) as err:
        log_in(deps, "reviewer_two", created["temporary_password"])
    assert err.value.error_code == "temporary_password_expired"


def test_reviewer_login_names_follow_the_rules(deps):
    reviewers.create_reviewer(deps, "reviewer_three", "赵审核")
    with pytest.raises(InvalidInput) as err:
        reviewers.create_reviewer(deps, "REVIEWER_THREE", "又一个")
    assert err.value.details["errors"][0]["code"] == "login_name_taken"


def test_the_cli_creates_a_reviewer(accounts_engine, capsys, tmp_path):
    from accounts import cli

    config = tmp_path / "config.yml"
    config.write_text(
        f"DB_URL: {accounts_engine.url.render_as_string(hide_password=False)}\n"
        "ARGON2_TIME_COST: 1\nARGON2_MEMORY_KIB: 1024\n"
    )

    def create_reviewer(login_name: str, name: str) -> int:
        named = ("--login-name", login_name, "--name", name)
        return cli.main(["--config", str(config), "create-reviewer", *named])

    assert create_reviewer("cli_reviewer", "审核员") == 0
    created = json.loads(capsys.readouterr().out)
    assert (
        created["login_name"] == "cli_reviewer"
        and len(created["temporary_password"]) == 16
    )
    assert create_reviewer("CLI_reviewer", "x") == 1
    assert "login_name_taken" in capsys.readouterr().err


# --- recovery's organisation look-up ----------------------------------------------------


def test_an_organisation_appeal_finds_the_unit_by_code_and_every_namesake(deps, otp):
    """Issue 12, finding 7: eight organisations share one name. The look-up with
    the fifth one's credit code answers that one first (not the oldest), then
    every namesake, oldest first, each masked for the reviewer; none is picked."""
    rng = random.Random()
    name = f"同名科技{rng.randrange(10**8)}有限公司"
    units = [register_org(deps, otp, rng, name=name) for _ in range(8)]
    body, registered = units[4]
    found = recovery_lookups.find_organization_for_appeal(
        deps, f" {name} ", credit_code=body["credit_code"].lower()
    )
    candidates = found["candidates"]
    assert found["truncated"] is False
    assert candidates[0]["account_id"] == registered["account_id"]
    assert {c["account_id"] for c in candidates[1:]} == {
        r["account_id"] for i, (_, r) in enumerate(units) if i != 4
    }
    times = [c["registered_at"] for c in candidates[1:]]
    assert times == sorted(times)  # the namesakes oldest first
    first = candidates[0]
    assert (first["code_matches"], first["name_matches"]) == (True, True)
    assert all(c["code_matches"] is False for c in candidates[1:])
    assert all(c["name_matches"] for c in candidates)
    code = body["credit_code"]
    assert first["masked_code"] == code[:3] + "*" * 8 + code[-2:]
    legal = body["legal_representative"]["name"]
    assert first["legal_representative"] == legal[0] + "*" * (len(legal) - 1)
    agent_phone = body["main_agent"]["phone"]
    assert (
        first["masked_main_agent_phone"] == agent_phone[:2] + "*****" + agent_phone[-3:]
    )
    assert first["real_name_status"] == "pending"
    assert first["login_name"] == body["login_name"]
    assert code not in json.dumps(found) and agent_phone not in json.dumps(found)

    # a code of nobody still shows every namesake, none matching the code
    other = recovery_lookups.find_organization_for_appeal(
        deps, name, credit_code=gen.credit_code(rng)
    )
    assert len(other["candidates"]) == 8
    assert not any(c["code_matches"] for c in other["candidates"])
    # the right code under another name: that unit, its name differs
    renamed = recovery_lookups.find_organization_for_appeal(
        deps, "另一个名字", credit_code=code
    )
    assert [(c["account_id"], c["name_matches"]) for c in renamed["candidates"]] == [
        (registered["account_id"], False)
    ]


@pytest.mark.parametrize(
    ("codes", "field", "error"),
    [
        ({}, "credit_code", "credit_code_required"),
        ({"credit_code": "  "}, "credit_code", "credit_code_required"),
        ({"credit_code": "91350100M000100Y44"}, "credit_code", "credit_code_invalid"),
        ({"credit_code": "91350100M000100"}, "credit_code", "credit_code_invalid"),
        (
            {"registration_number": "?"},
            "registration_number",
            "registration_number_invalid",
        ),
    ],
)
def test_an_organisation_appeal_needs_a_code_valid_by_the_registrations_rule(
    deps, codes, field, error
):
    with pytest.raises(InvalidInput) as refused:
        recovery_lookups.find_organization_for_appeal(deps, "示例科技有限公司", **codes)
    assert refused.value.error_code == error
    assert refused.value.details["errors"][0]["field"] == field
