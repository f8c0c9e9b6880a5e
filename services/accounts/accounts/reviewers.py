"""Reviewer accounts, made by an operator (``python -m accounts.cli
create-reviewer``): staff with a temporary password that the first login changes."""

from __future__ import annotations

import uuid
from datetime import timedelta

from contracts import temporary_passwords
from contracts.accounts.fields import LoginName
from contracts.models import Model, Text, parse

from accounts import field_rules
from accounts.deps import Deps
from accounts.duplicates import Duplicate


class NewReviewer(Model):
    """What an operator gives for a reviewer account."""

    login_name: LoginName
    name: Text(100)


def create_reviewer(deps: Deps, login_name: object, name: object) -> dict:
    """Create a reviewer account with a temporary password that must be changed at
    the first login and expires after ``temporary_password_hours``
    (``TEMPORARY_PASSWORD_HOURS``). Returns ``{account_id, login_name,
    temporary_password, expires_at}`` (the password is shown once, to the
    operator). Raises ``InvalidInput`` (``login_name_invalid``,
    ``login_name_taken``, ``required``)."""
    reviewer = parse(NewReviewer, {"login_name": login_name, "name": name})
    login, display = reviewer.login_name, reviewer.name
    password = temporary_passwords.generate()
    password_hash = deps.hasher.hash(password)
    now = deps.clock()
    expires_at = now + timedelta(hours=deps.settings.temporary_password_hours)
    account_id = uuid.uuid4()
    try:
        with deps.repo.transaction():
            deps.repo.add_account(
                id=account_id,
                kind="staff",
                login_name=login,
                password_hash=password_hash,
                role="reviewer",
                must_change_password=True,
                temporary_password_expires_at=expires_at,
                password_changed_at=now,
                real_name_status="unverified",
                real_name_changed_at=now,
                created_at=now,
                updated_at=now,
            )
            deps.repo.add_staff_member(account_id=account_id, name=display)
    except Duplicate as duplicate:
        raise field_rules.duplicate_error(duplicate) from None
    return {
        "account_id": str(account_id),
        "login_name": login,
        "temporary_password": password,
        "expires_at": expires_at.isoformat(),
    }
