"""Logging in, and the session it opens: resolve it on each request, end it.

How many failures a name may have before a captcha or a lock is the
:class:`~accounts.login_guard.LoginGuard`'s verdict; this module answers it.
"""

from __future__ import annotations

import logging

from contracts.accounts import AccountLocked
from contracts.errors import Locked, RateLimited, Unauthenticated

from accounts import passwords
from accounts.deps import Deps
from accounts.otp_checks import check_captcha

_log = logging.getLogger(__name__)


def _invalid_credentials(captcha_next: bool) -> Unauthenticated:
    return Unauthenticated(
        "invalid_credentials",
        "The login name or the password is wrong.",
        {"captcha_required": captcha_next},
    )


def _locked(retry_after: int) -> Locked:
    return Locked(
        "account_locked",
        "Too many failed logins; try again later.",
        {"retry_after": retry_after},
    )


def _admit(
    deps: Deps,
    login_name: str,
    client_ip: str | None,
    captcha_id: object,
    captcha_answer: object,
):
    """Count the attempt and refuse it (without a hash check) when the guard
    says so; the attempt to pass on to ``guard.failed``."""
    attempt = deps.guard.begin(login_name, client_ip or "")
    if attempt.locked_for:
        raise _locked(attempt.locked_for)
    if attempt.ip_blocked_for:
        raise RateLimited(
            "login_rate_limited",
            "Too many failed logins from this address; try again later.",
            {"retry_after": attempt.ip_blocked_for},
        )
    if attempt.captcha_required:
        try:
            check_captcha(deps, captcha_id, captcha_answer)
        except Exception:
            deps.guard.give_back(login_name)
            raise
    return attempt


def log_in(
    deps: Deps,
    login_name: object,
    password: object,
    client_ip: str | None = None,
    captcha_id: object = None,
    captcha_answer: object = None,
) -> dict:
    """Check the password and open a session.

    Returns ``{token, csrf_token, expires_in, max_age, must_change_password,
    account: {account_id, kind, login_name, role, real_name_status}}``.
    Raises ``Unauthenticated`` (``invalid_credentials``, the same for an unknown
    name, which costs the same hash check), ``CaptchaRequired`` once a name (or
    the client address) has failed often enough, ``InvalidInput``
    (``captcha_invalid``), ``Locked`` (``account_locked``, ``retry_after``),
    ``RateLimited`` (``login_rate_limited``), ``Unauthenticated``
    (``legacy_password_reset_required``: a weak imported hash after
    ``LEGACY_WEAK_HASH_DEADLINE``). Emits ``account_locked``. An imported
    account's former hash is replaced by argon2id at its first good login.
    """
    if not (
        isinstance(login_name, str)
        and isinstance(password, str)
        and 0 < len(login_name) <= 64
        and 0 < len(password) <= passwords.PASSWORD_MAX
    ):
        # No stored account can match: answer like a wrong password, without
        # counting (there is nothing to guess) or hashing.
        raise _invalid_credentials(False)
    attempt = _admit(deps, login_name, client_ip, captcha_id, captcha_answer)

    account = deps.repo.find_for_login(login_name)  # one read, no transaction
    if not deps.hasher.verify(account.password_hash if account else None, password):
        failure = deps.guard.failed(login_name, client_ip or "", attempt)
        if failure.locked_now and account is not None:
            with deps.repo.transaction():
                deps.emit(
                    AccountLocked(
                        account_id=str(account.id),
                        account_kind=account.kind,
                        locked_seconds=failure.locked_for,
                    )
                )
            _log.warning("account locked after failed logins")
        if failure.locked_for:
            raise _locked(failure.locked_for)
        raise _invalid_credentials(failure.captcha_next)

    deps.guard.succeeded(login_name, client_ip or "")
    _refuse_expired_legacy_hash(deps, account.password_hash)
    now = deps.clock()
    if (
        account.must_change_password
        and account.temporary_password_expires_at is not None
        and account.temporary_password_expires_at <= now
    ):
        raise Unauthenticated(
            "temporary_password_expired",
            "The temporary password has expired; recover the password again.",
        )
    if deps.hasher.needs_rehash(account.password_hash):
        upgraded = deps.hasher.hash(password)
        with deps.repo.transaction():
            deps.repo.set_password_hash_if_unchanged(
                account.id, account.password_hash, upgraded
            )
    return _open_session(deps, account)


def _refuse_expired_legacy_hash(deps: Deps, password_hash: str) -> None:
    """A weak hash imported from a former system opens no session after
    ``LEGACY_WEAK_HASH_DEADLINE``: the password may have leaked with it, so the
    account resets its password by SMS (recovery) instead. Answered only to the
    right password, so it tells a guesser nothing."""
    deadline = deps.settings.legacy_weak_hash_deadline
    if deadline and deps.today() > deadline and passwords.is_weak_legacy(password_hash):
        raise Unauthenticated(
            "legacy_password_reset_required",
            "This password came from a former system and is no longer accepted; "
            "reset it by SMS (password recovery).",
        )


def _open_session(deps: Deps, account) -> dict:
    summary = {
        "account_id": str(account.id),
        "kind": account.kind,
        "login_name": account.login_name,
        "role": account.role,
    }
    session = deps.sessions.create(
        {**summary, "must_change_password": account.must_change_password}
    )
    return {
        "token": session["token"],
        "csrf_token": session["csrf_token"],
        "expires_in": session["expires_in"],
        "max_age": session["max_age"],
        "must_change_password": account.must_change_password,
        # An organisation imported from a former system has no proven phone yet:
        # it proves one (change_phone) before SMS recovery can reach it.
        "phone_proof_required": account.phone_index is None
        and account.kind == "organization",
        "account": {**summary, "real_name_status": account.real_name_status},
    }


def resolve_session(deps: Deps, token: object, csrf_token: object = None) -> dict:
    """The live session of ``token``: ``{session_id, account_id, kind, role,
    login_name, must_change_password, csrf_ok}``. Raises ``Unauthenticated``
    (``session_invalid``) for an unknown, ended or expired token."""
    session = deps.sessions.resolve(token, csrf_token)
    if session is None:
        raise Unauthenticated("session_invalid", "Log in again.")
    return {
        "session_id": session["session_id"],
        "account_id": session["account_id"],
        "kind": session["kind"],
        "role": session["role"],
        "login_name": session["login_name"],
        "must_change_password": session["must_change_password"],
        "csrf_ok": session["csrf_ok"],
    }


def log_out(deps: Deps, token: object) -> dict:
    """End the session; ``{ended}`` is false when it had already ended."""
    return {"ended": deps.sessions.end(token)}
