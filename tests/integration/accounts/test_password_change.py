"""Changing the password: every other session ends; the errors."""

from __future__ import annotations

import pytest
from accounts import credentials, login
from contracts.errors import InvalidInput, Unauthenticated

from tests import identity_data as gen
from tests.integration.accounts.helpers import log_in, register

pytestmark = pytest.mark.integration


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
            # sso ends every business system's entry of the other sessions
            "kept_session_id": current["session_id"],
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
