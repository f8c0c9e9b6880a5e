"""Temporary passwords: an approved appeal's lives APPEAL_TEMPORARY_PASSWORD_HOURS,
a reviewer's TEMPORARY_PASSWORD_HOURS; both must be changed at the next login."""

from __future__ import annotations

import uuid

import pytest
from accounts import credentials, login, reviewers
from contracts import temporary_passwords
from contracts.errors import Unauthenticated

from tests.integration.accounts.helpers import register

pytestmark = pytest.mark.integration

NEW_PHONE = "13912345143"


def approve_appeal(deps, account_id: str) -> dict:
    password = temporary_passwords.generate()
    answer = credentials.set_temporary_password(
        deps,
        account_id,
        password,
        NEW_PHONE,
        str(uuid.uuid4()),
        processed=lambda request_id: True,
    )
    assert answer["applied"] is True
    return {"password": password, "login_name": answer["login_name"]}


def test_an_appeal_password_lives_a_day_by_default(deps, otp, clock):
    _, registered = register(deps, otp)
    appeal = approve_appeal(deps, registered["account_id"])
    clock.advance(hours=23, minutes=59)
    answer = login.log_in(deps, appeal["login_name"], appeal["password"])
    assert answer["must_change_password"] is True
    clock.advance(minutes=1)
    with pytest.raises(Unauthenticated) as err:
        login.log_in(deps, appeal["login_name"], appeal["password"])
    assert err.value.error_code == "temporary_password_expired"


def test_the_appeal_lifetime_is_a_setting(make_deps, otp, clock):
    deps = make_deps(appeal_temporary_password_hours=2)
    _, registered = register(deps, otp)
    appeal = approve_appeal(deps, registered["account_id"])
    clock.advance(hours=2)
    with pytest.raises(Unauthenticated) as err:
        login.log_in(deps, appeal["login_name"], appeal["password"])
    assert err.value.error_code == "temporary_password_expired"


def test_a_reviewer_password_follows_its_own_setting(make_deps, clock):
    deps = make_deps(temporary_password_hours=5, appeal_temporary_password_hours=1)
    created = reviewers.create_reviewer(deps, "reviewer_five", "周审核")
    clock.advance(hours=4, minutes=59)
    assert login.log_in(deps, "reviewer_five", created["temporary_password"])
    clock.advance(minutes=1)
    with pytest.raises(Unauthenticated) as err:
        login.log_in(deps, "reviewer_five", created["temporary_password"])
    assert err.value.error_code == "temporary_password_expired"
