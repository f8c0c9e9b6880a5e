"""Unlocking a login name with an SMS code: the pass it gives its address."""

from __future__ import annotations

import uuid

import pytest
from accounts import unlock
from contracts.accounts import LoginUnlock, UnlockCodeRequest
from contracts.errors import InvalidInput, Locked, Unauthenticated
from contracts.phones import normalize_phone

from tests.integration.accounts.helpers import IP, log_in, register

pytestmark = pytest.mark.integration


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
