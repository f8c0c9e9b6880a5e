"""Unlocking a login name with an SMS code to the reserved phone (issue 12, finding 4).

Five wrong passwords lock a name for everybody (product.md flow 4), so anyone who
knows a login name can lock its owner out. The owner escapes by proving the
reserved phone, as the reset by login name does (product.md flow 6.1): the login
name and the phone in full, with an image captcha, ask for a code (purpose
``login_unlock``); the name, the phone and the code unlock. The guard then clears
the name's count and lock and gives the owner's address a pass for the name
(:meth:`~accounts.login_guard.LoginGuard.unlock`), so a lock caused from
elsewhere no longer keeps that address out.

Why the phone in full and not the name alone: with the name alone, anyone who
knows a login name could make the owner's phone receive codes and spend its
per-phone SMS quota (5 an hour, 10 a day at otp), the very quota the owner needs
to unlock; with the phone required, nothing is sent unless the caller already
knows the reserved phone.

What the answers tell: asking for a code answers the same (nothing) for an
unknown name, a wrong phone, a quota otp refused and a code sent; the same work is
done (accounts' recovery look-ups, one query and one decrypt or blind index
either way). Unlocking with an unknown name or a wrong phone answers
``sms_code_expired``, as otp does for a code never sent; with the right phone the
code's own answer (``sms_code_invalid`` with the tries left). That tells whether a
phone is a name's reserved phone to someone who asked for a code for it (a
captcha each), which the reset's ``phone_mismatch`` already tells: nothing new.
"""

from __future__ import annotations

import logging

from contracts.accounts import LoginUnlock, UnlockCodeRequest
from contracts.errors import RateLimited

from accounts.deps import Deps
from accounts.otp_checks import check_captcha, verify_sms
from accounts.recovery_lookups import find_account_for_recovery, reserved_phone_matches
from accounts.validation import single

PURPOSE = "login_unlock"
_log = logging.getLogger(__name__)


def _is_reserved_phone(deps: Deps, login_name: str, phone: str) -> bool:
    """Whether ``phone`` is the reserved phone of ``login_name`` (same work for an
    unknown name)."""
    account = find_account_for_recovery(deps, login_name)
    return reserved_phone_matches(deps, account["account_id"] if account else "", phone)


def send_unlock_code(deps: Deps, request: UnlockCodeRequest, client_ip: str) -> None:
    """Spend the captcha; send a ``login_unlock`` code when the phone is the
    name's reserved phone. Raises ``CaptchaRequired`` / ``InvalidInput``
    (``captcha_invalid``) only."""
    check_captcha(deps, request.captcha_id, request.captcha_answer)
    if not _is_reserved_phone(deps, request.login_name, request.phone):
        return
    try:
        deps.otp.issue_sms_code(
            phone=request.phone, purpose=PURPOSE, client_ip=client_ip
        )
    except RateLimited:
        # Answered like a send: a 429 here (and only here) would tell that the
        # name exists with this phone. The owner waits for otp's cooldown.
        _log.info("unlock code not sent: otp's send quota")


def unlock_login(deps: Deps, request: LoginUnlock, client_ip: str) -> None:
    """Spend the code; clear the name's failures and lock, give ``client_ip`` a
    pass. Raises ``InvalidInput`` (``sms_code_invalid``, ``sms_code_expired``)."""
    if not _is_reserved_phone(deps, request.login_name, request.phone):
        raise single(
            "sms_code", "sms_code_expired", "The SMS code is wrong or has expired"
        )
    verify_sms(deps, request.phone, PURPOSE, request.sms_code, "sms_code")
    deps.guard.unlock(request.login_name, client_ip)
    _log.warning("login name unlocked with an SMS code")
