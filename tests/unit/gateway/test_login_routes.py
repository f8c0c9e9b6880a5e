"""Logging in and out with a fake RPC pool: the token and its secure cookie, the
refusals, the cookie cleared.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from contracts import errors as ce

from tests.unit.gateway.accounts_app import API, BEARER, calls, client, logged_in
from tests.unit.gateway.fakes import ACCOUNT


def test_log_in_returns_the_token_and_sets_a_secure_cookie():
    http, rpc = client({("accounts", "log_in"): logged_in})
    result = http.simulate_post(
        f"{API}/sessions",
        json={"login_name": "zhang_wei", "password": "p"},
        remote_addr="203.0.113.5",
    )
    assert result.status_code == 201
    assert result.json["token"] == "good-token"
    assert result.json["csrf_token"] == "csrf-1"
    assert "max_age" not in result.json
    cookie = SimpleCookie(result.headers["Set-Cookie"])["__Host-session"]
    assert cookie.value == "good-token"
    assert cookie["secure"] and cookie["httponly"]
    assert cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert cookie["max-age"] == "43200"
    assert calls(rpc, "log_in")[0]["client_ip"] == "203.0.113.5"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (
            ce.Unauthenticated(
                "invalid_credentials", "wrong", {"captcha_required": False}
            ),
            401,
        ),
        (ce.Locked("account_locked", "later", {"retry_after": 900}), 423),
        (ce.CaptchaRequired("captcha_required", "captcha"), 428),
        (ce.RateLimited("login_rate_limited", "slow", {"retry_after": 60}), 429),
    ],
)
def test_log_in_refusals(error, status):
    def refuse(**kwargs):
        raise error

    http, _ = client({("accounts", "log_in"): refuse})
    result = http.simulate_post(
        f"{API}/sessions", json={"login_name": "a", "password": "b"}
    )
    assert result.status_code == status
    assert result.json["code"] == error.error_code
    if "retry_after" in error.details:
        assert result.headers["Retry-After"] == str(error.details["retry_after"])
    assert "Set-Cookie" not in result.headers


def test_log_out_ends_the_session_and_clears_the_cookie():
    http, rpc = client(
        {
            ("accounts", "log_out"): lambda token: {"ended": True},
            ("sso", "end_session"): lambda session_id: {"notified": 1},
        }
    )
    result = http.simulate_delete(f"{API}/sessions/current", headers=BEARER)
    assert result.status_code == 204
    assert calls(rpc, "log_out") == [{"token": "good-token"}]
    # the business systems the session entered get a back-channel logout
    assert calls(rpc, "end_session") == [{"session_id": ACCOUNT["session_id"]}]
    assert "__Host-session=" in result.headers["Set-Cookie"]
    assert (
        "Max-Age=0" in result.headers["Set-Cookie"]
        or "expires" in result.headers["Set-Cookie"].lower()
    )
