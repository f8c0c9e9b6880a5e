"""Passwords after registration: a change by the user, a reset chosen through
recovery, and a temporary password set by an approved appeal.

Every path stores the hash with its ``password_changed`` event in one
transaction and ends the account's other sessions after the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from contracts.accounts import PasswordChange, PasswordChanged
from contracts.accounts.fields import MobilePhone, RequestId
from contracts.errors import Locked, NotFound
from contracts.models import Model, parse

from accounts import field_rules, passwords, personal_data
from accounts.deps import Deps
from accounts.validation import FieldErrors, single


class TemporaryPasswordGrant(Model):
    """The shape of an approved appeal's grant (its password is checked apart:
    by the password rule, never echoed in an error)."""

    phone: MobilePhone
    request_id: RequestId


def _account(deps: Deps, account_id: object) -> tuple[uuid.UUID, Any]:
    """``(key, account row)``; raises ``NotFound`` for an unknown account."""
    key = field_rules.account_key(account_id)
    with deps.repo.transaction():
        account = deps.repo.get_account(key)
    if account is None:
        raise NotFound("account_not_found", "No such account.")
    return key, account


def _chosen_password(
    new: str, confirmation: str | None, errors: FieldErrors, login_name: str
) -> str | None:
    """``new_password`` by the password rule; ``new_password_confirmation`` is
    compared only when sent (a change may send it; a reset never does)."""
    return field_rules.new_password(
        new,
        confirmation,
        errors,
        login_name,
        field_name="new_password",
        confirmation_name="new_password_confirmation",
    )


def _store_new_password(
    deps: Deps,
    key: uuid.UUID,
    kind: str,
    new: str,
    reason: str,
    kept_session_id: str | None = None,
) -> None:
    """Hash and store a chosen password, with its ``password_changed`` event."""
    new_hash = deps.hasher.hash(new)
    now = deps.clock()
    with deps.repo.transaction():
        deps.repo.update_account(
            key,
            password_hash=new_hash,
            password_changed_at=now,
            must_change_password=False,
            temporary_password_expires_at=None,
            updated_at=now,
        )
        deps.emit(
            PasswordChanged(
                account_id=str(key),
                account_kind=kind,
                reason=reason,
                kept_session_id=kept_session_id,
            )
        )


def _check_current_password(
    deps: Deps, login_name: str, password_hash: str, current: str, client_ip: str
) -> None:
    """The current password, counted by the login guard like a login: wrong
    guesses here lock the name too (otherwise a stolen session could guess)."""
    attempt = deps.guard.begin(login_name, client_ip)
    if attempt.locked_for or attempt.ip_blocked_for:
        raise Locked(
            "account_locked",
            "Too many wrong passwords; try again later.",
            {"retry_after": attempt.locked_for or attempt.ip_blocked_for},
        )
    if not deps.hasher.verify(password_hash, current):
        deps.guard.failed(login_name, client_ip, attempt)
        raise single(
            "current_password",
            "current_password_wrong",
            "The current password is wrong",
        )
    deps.guard.succeeded(login_name)


def change_password(
    deps: Deps,
    account_id: str,
    session_id: str,
    current_password: str,
    new_password: str,
    new_password_confirmation: str | None = None,
    client_ip: str | None = None,
) -> dict:
    """Change the password; every other session of the account ends.

    A temporary password (``must_change_password``) is replaced the same way and
    the flag clears. Returns ``{sessions_ended}``. Raises ``InvalidInput``
    (``current_password_wrong``, ``password_too_weak``, ``password_mismatch``,
    ``password_unchanged``), ``Locked`` after too many wrong current passwords
    (the login counters), ``NotFound``. Emits ``password_changed``.
    """
    change = parse(
        PasswordChange,
        {
            "current_password": current_password,
            "new_password": new_password,
            "new_password_confirmation": new_password_confirmation,
        },
    )
    key, account = _account(deps, account_id)
    errors = FieldErrors()
    current = change.current_password
    new = _chosen_password(
        change.new_password,
        change.new_password_confirmation,
        errors,
        account.login_name,
    )
    errors.raise_if_any()
    _check_current_password(
        deps, account.login_name, account.password_hash, current, client_ip or ""
    )
    if new == current:
        raise single(
            "new_password", "password_unchanged", "Choose a password you do not use now"
        )
    keep = session_id if isinstance(session_id, str) else None
    _store_new_password(deps, key, account.kind, new, "changed", keep)
    # After the commit: a crash here leaves other sessions alive until they expire
    # (at most the idle timeout), never a changed password without the event.
    ended = deps.sessions.end_all_except(str(key), keep)
    if keep:
        deps.sessions.update(keep, must_change_password=False)
    return {"sessions_ended": ended}


def reset_password(deps: Deps, account_id: str, new_password: str) -> dict:
    """Set a new password chosen by the user (recovery's reset): the password rule
    as at registration, ``must_change_password`` cleared, every session ended.
    Returns ``{sessions_ended}``. Raises ``InvalidInput`` (``password_too_weak``,
    ``required``), ``NotFound`` (``account_not_found``). Emits
    ``password_changed`` (reason ``reset``)."""
    if not isinstance(new_password, str) or not new_password:
        raise single("new_password", "required", "This field is required")
    key, account = _account(deps, account_id)
    errors = FieldErrors()
    new = _chosen_password(new_password, None, errors, account.login_name)
    errors.raise_if_any()
    _store_new_password(deps, key, account.kind, new, "reset")
    return {"sessions_ended": deps.sessions.end_all_except(str(key), None)}


def set_temporary_password(
    deps: Deps,
    account_id: str,
    password: str,
    phone: str,
    request_id: str,
    processed: Callable[[str], bool],
) -> dict:
    """An approved appeal: a temporary password (expires after
    ``appeal_temporary_password_hours``, the ``APPEAL_TEMPORARY_PASSWORD_HOURS``
    setting; must be changed at the next login), the appeal's proven phone as the
    reserved phone, every session ended.

    Applied once per ``request_id``: ``processed(request_id)`` records it in
    the same transaction and says whether this is the first time. Returns
    ``{account_id, login_name, applied}``. Raises ``InvalidInput``
    (``phone_invalid``, ``request_id_invalid``, ``password_too_weak``),
    ``NotFound`` (``account_not_found``). Emits ``password_changed`` (reason
    ``appeal``) when applied."""
    key = field_rules.account_key(account_id)
    grant = parse(TemporaryPasswordGrant, {"phone": phone, "request_id": request_id})
    if not isinstance(password, str) or passwords.password_problems(password):
        raise single("password", "password_too_weak", "not a valid password")
    new_hash = deps.hasher.hash(password)
    now = deps.clock()
    lifetime = timedelta(hours=deps.settings.appeal_temporary_password_hours)
    with deps.repo.transaction():
        account = deps.repo.get_account(key, for_update=True)
        if account is None or account.kind not in ("person", "organization"):
            raise NotFound("account_not_found", "No such account.")
        applied = processed(request_id)
        if applied:
            deps.repo.update_account(
                key,
                password_hash=new_hash,
                password_changed_at=now,
                must_change_password=True,
                temporary_password_expires_at=now + lifetime,
                updated_at=now,
                **personal_data.phone_columns(deps.cipher, grant.phone),
            )
            deps.emit(
                PasswordChanged(
                    account_id=str(key), account_kind=account.kind, reason="appeal"
                )
            )
    if applied:
        deps.sessions.end_all_except(str(key), None)
    return {
        "account_id": str(key),
        "login_name": account.login_name,
        "applied": applied,
    }
