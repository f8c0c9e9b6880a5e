"""Authentication with a fake RPC pool: bearer and cookie sessions, CSRF on writes, a
temporary password, the client address behind a proxy, the unlock steps.
"""

from __future__ import annotations

import falcon.testing
from gateway.app import create_app
from gateway.settings import Settings

from tests.unit.gateway.accounts_app import (
    API,
    BEARER,
    calls,
    client,
    logged_in,
    session,
)
from tests.unit.gateway.fakes import ACCOUNT, FakeRedis, FakeRpc


def me(account_id):
    """A full ``Me`` reply (the client reads it as the contract's model)."""
    return {
        "account_id": account_id,
        "kind": "staff",
        "login_name": "zhang_wei",
        "role": "reviewer",
        "must_change_password": False,
        "real_name_status": "unverified",
        "real_name_reason": None,
        "agreement_version": None,
        "created_at": "2026-11-28T08:00:00+08:00",
        "profile": {"name": "张伟"},
    }


def test_me_needs_a_session():
    http, rpc = client({("accounts", "get_me"): me})
    result = http.simulate_get(f"{API}/me")
    assert result.status_code == 401
    assert result.json["code"] == "not_authenticated"
    assert result.headers["WWW-Authenticate"].startswith("Bearer")
    result = http.simulate_get(f"{API}/me", headers={"Authorization": "Bearer bad"})
    assert (result.status_code, result.json["code"]) == (401, "session_invalid")
    result = http.simulate_get(f"{API}/me", headers={"Authorization": "Basic abc"})
    assert (result.status_code, result.json["code"]) == (401, "authorization_invalid")
    assert calls(rpc, "get_me") == []


def test_me_with_a_bearer_token():
    http, rpc = client({("accounts", "get_me"): me})
    result = http.simulate_get(f"{API}/me", headers=BEARER)
    assert result.status_code == 200
    assert calls(rpc, "get_me") == [{"account_id": ACCOUNT["account_id"]}]


def test_a_cookie_session_reads_without_csrf_but_writes_only_with_it():
    http, rpc = client(
        {
            ("accounts", "get_me"): me,
            ("accounts", "update_profile"): lambda account_id, changes: me(account_id),
        }
    )
    cookie = {"Cookie": "__Host-session=good-token"}
    assert http.simulate_get(f"{API}/me", headers=cookie).status_code == 200
    result = http.simulate_patch(
        f"{API}/me/profile", headers=cookie, json={"title": "x"}
    )
    assert (result.status_code, result.json["code"]) == (403, "csrf_token_invalid")
    result = http.simulate_patch(
        f"{API}/me/profile",
        headers={**cookie, "X-CSRF-Token": "wrong"},
        json={"title": "x"},
    )
    assert result.status_code == 403
    result = http.simulate_patch(
        f"{API}/me/profile",
        headers={**cookie, "X-CSRF-Token": "csrf-1"},
        json={"title": "x"},
    )
    assert result.status_code == 200
    assert calls(rpc, "update_profile") == [
        {"account_id": ACCOUNT["account_id"], "changes": {"title": "x"}}
    ]
    # a bearer token needs no CSRF token
    assert (
        http.simulate_patch(
            f"{API}/me/profile", headers=BEARER, json={"title": "x"}
        ).status_code
        == 200
    )


def test_logout_by_cookie_needs_the_csrf_token():
    http, _ = client(
        {
            ("accounts", "log_out"): lambda token: {"ended": True},
            ("sso", "end_session"): lambda session_id: {"notified": 0},
        }
    )
    cookie = {"Cookie": "__Host-session=good-token"}
    assert (
        http.simulate_delete(f"{API}/sessions/current", headers=cookie).status_code
        == 403
    )
    assert (
        http.simulate_delete(
            f"{API}/sessions/current", headers={**cookie, "X-CSRF-Token": "csrf-1"}
        ).status_code
        == 204
    )


def test_a_temporary_password_only_changes_itself_or_logs_out():
    rpc_answers = {
        ("accounts", "get_me"): me,
        ("accounts", "change_password"): lambda **kw: {"sessions_ended": 0},
        ("accounts", "log_out"): lambda token: {"ended": True},
        ("sso", "end_session"): lambda session_id: {"notified": 0},
    }
    http, rpc = client(rpc_answers)
    rpc.answers[("accounts", "resolve_session")] = session(must_change_password=True)
    result = http.simulate_get(f"{API}/me", headers=BEARER)
    assert (result.status_code, result.json["code"]) == (
        403,
        "password_change_required",
    )
    result = http.simulate_put(
        f"{API}/me/password",
        headers=BEARER,
        json={"current_password": "Temp-1234x", "new_password": "New-Secret-99x"},
    )
    assert result.status_code == 204
    assert calls(rpc, "change_password") == [
        {
            "account_id": ACCOUNT["account_id"],
            "session_id": ACCOUNT["session_id"],
            "current_password": "Temp-1234x",
            "new_password": "New-Secret-99x",
            "new_password_confirmation": None,
            "client_ip": "127.0.0.1",
        }
    ]
    assert (
        http.simulate_delete(f"{API}/sessions/current", headers=BEARER).status_code
        == 204
    )


def test_a_forwarded_address_counts_only_behind_a_trusted_proxy():
    rpc = FakeRpc({("accounts", "log_in"): logged_in})
    settings = Settings(environment="test", trusted_proxies=("10.0.0.0/8",))
    http = falcon.testing.TestClient(create_app(settings, rpc, FakeRedis()))
    body = {"login_name": "a", "password": "b"}
    http.simulate_post(
        f"{API}/sessions",
        json=body,
        remote_addr="10.1.2.3",
        headers={"X-Forwarded-For": "198.51.100.9"},
    )
    http.simulate_post(
        f"{API}/sessions",
        json=body,
        remote_addr="203.0.113.1",
        headers={"X-Forwarded-For": "198.51.100.9"},
    )
    assert [c["client_ip"] for c in calls(rpc, "log_in")] == [
        "198.51.100.9",
        "203.0.113.1",
    ]


def test_the_unlock_steps_pass_the_request_and_the_client_address():
    http, rpc = client(
        {
            ("accounts", "send_unlock_code"): lambda **kw: None,
            ("accounts", "unlock_login"): lambda **kw: None,
        }
    )
    asked = http.simulate_post(
        f"{API}/login/unlock-codes",
        json={
            "login_name": "zhang_wei",
            "phone": "13800138000",
            "captcha_id": "c1d2e3f4g5h6i7j8",
            "captcha_answer": "K7PQ",
        },
    )
    assert (asked.status_code, asked.text) == (202, "")
    assert calls(rpc, "send_unlock_code") == [
        {
            "request": {
                "login_name": "zhang_wei",
                "phone": "+8613800138000",
                "captcha_id": "c1d2e3f4g5h6i7j8",
                "captcha_answer": "K7PQ",
            },
            "client_ip": "127.0.0.1",
        }
    ]
    unlocked = http.simulate_post(
        f"{API}/login/unlock",
        json={"login_name": "zhang_wei", "phone": "13800138000", "sms_code": "123456"},
    )
    assert unlocked.status_code == 204
    assert calls(rpc, "unlock_login")[0]["client_ip"] == "127.0.0.1"
    malformed = http.simulate_post(
        f"{API}/login/unlock",
        json={"login_name": "zhang_wei", "phone": "13800138000", "sms_code": "12"},
    )
    assert malformed.status_code == 422
    assert len(calls(rpc, "unlock_login")) == 1  # refused before any RPC
