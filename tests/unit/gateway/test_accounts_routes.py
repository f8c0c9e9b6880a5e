"""The accounts routes with a fake RPC pool: shapes, status codes, cookies, CSRF."""

from __future__ import annotations

import json
from http.cookies import SimpleCookie

import falcon.testing
import pytest
from contracts import errors as ce
from gateway.app import create_app
from gateway.settings import Settings

from tests import identity_data as gen
from tests.unit.gateway.fakes import ACCOUNT, FakeRedis, FakeRpc, login_reply

API = "/api/v1"


def session(csrf_ok=True, **overrides):
    def resolve(token, csrf_token=None):
        if token != "good-token":
            raise ce.Unauthenticated("session_invalid", "Log in again.")
        return {**ACCOUNT, **overrides, "csrf_ok": csrf_ok and csrf_token == "csrf-1"}

    return resolve


def client(answers=None, documents_per_hour=20):
    rpc = FakeRpc({("accounts", "resolve_session"): session(), **(answers or {})})
    settings = Settings(environment="test", document_checks_per_hour=documents_per_hour)
    app = create_app(settings, rpc, FakeRedis())
    return falcon.testing.TestClient(app), rpc


def calls(rpc, method):
    return [kwargs for _, m, kwargs, _ in rpc.calls if m == method]


BEARER = {"Authorization": "Bearer good-token"}


# --- registration and checks ------------------------------------------------------------


def registered_as(kind: str, login_name: str) -> dict:
    """What accounts answers a registration with (``contracts.accounts.Registered``)."""
    return {
        "account_id": ACCOUNT["account_id"],
        "kind": kind,
        "login_name": login_name,
        "real_name_status": "pending",
        "agreement_version": "2024-01",
    }


def test_person_registration_passes_only_contract_fields_and_answers_201():
    registered = registered_as("person", "zhang_wei")
    http, rpc = client(
        {("accounts", "register_person"): lambda registration: registered}
    )
    body = gen.person_registration(phone="+8613812345678", sms_code="123456")
    result = http.simulate_post(
        f"{API}/registrations/person", json={**body, "is_admin": True}
    )
    assert result.status_code == 201
    assert result.json == registered
    assert result.headers["Cache-Control"] == "no-store"
    assert calls(rpc, "register_person") == [{"registration": body}]


def test_organisation_blocks_are_filtered_too():
    registered = registered_as("organization", "org_1")
    http, rpc = client(
        {("accounts", "register_organization"): lambda registration: registered}
    )
    body = gen.organization_registration()
    body["main_agent"]["role"] = "admin"
    result = http.simulate_post(f"{API}/registrations/organization", json=body)
    assert result.status_code == 201
    sent = calls(rpc, "register_organization")[0]["registration"]
    assert "role" not in sent["main_agent"]
    assert sent["main_agent"]["name"] == body["main_agent"]["name"]


def test_a_malformed_registration_is_422_before_any_rpc():
    http, rpc = client()
    result = http.simulate_post(
        f"{API}/registrations/organization",
        json={"name": "n", "main_agent": {"name": "a"}, "legal_representative": 3},
    )
    assert (result.status_code, result.json["code"]) == (422, "validation_failed")
    codes = {e["field"]: e["code"] for e in result.json["errors"]}
    assert codes["legal_representative"] == "required"
    assert codes["main_agent.phone"] == "required"
    assert calls(rpc, "register_organization") == []


def test_field_errors_are_422_problem_json_with_every_error():
    errors = [
        {"field": "login_name", "code": "login_name_taken", "message": "taken"},
        {
            "field": "main_agent.sms_code",
            "code": "sms_code_invalid",
            "message": "wrong",
        },
    ]

    def refuse(registration):
        raise ce.InvalidInput("validation_failed", "see errors", {"errors": errors})

    http, _ = client({("accounts", "register_organization"): refuse})
    result = http.simulate_post(
        f"{API}/registrations/organization", json=gen.organization_registration()
    )
    assert result.status_code == 422
    assert result.headers["Content-Type"] == "application/problem+json"
    assert result.json["errors"] == errors
    assert result.json["code"] == "validation_failed"
    assert result.json["request_id"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "malformed_json"),
        (b"[1, 2]", "application/json", 400, "malformed_json"),
        (
            b"login_name=x",
            "application/x-www-form-urlencoded",
            415,
            "unsupported_media_type",
        ),
        (
            json.dumps({"x": "y" * 70000}).encode(),
            "application/json",
            413,
            "body_too_large",
        ),
    ],
)
def test_bad_bodies_are_refused_before_any_rpc(body, content_type, status, code):
    http, rpc = client()
    result = http.simulate_post(
        f"{API}/registrations/person", body=body, headers={"Content-Type": content_type}
    )
    assert (result.status_code, result.json["code"]) == (status, code)
    assert calls(rpc, "register_person") == []


def test_a_malformed_login_name_is_400():
    def check(login_name):
        raise ce.InvalidInput(
            "validation_failed",
            "bad",
            {
                "errors": [
                    {
                        "field": "login_name",
                        "code": "login_name_invalid",
                        "message": "m",
                    }
                ]
            },
        )

    http, _ = client({("accounts", "check_login_name"): check})
    result = http.simulate_get(f"{API}/login-names/a-b")
    assert (result.status_code, result.json["code"]) == (400, "login_name_invalid")


def test_login_name_check():
    http, _ = client(
        {
            ("accounts", "check_login_name"): lambda login_name: {
                "login_name": login_name,
                "available": True,
            }
        }
    )
    result = http.simulate_get(f"{API}/login-names/zhang_wei")
    assert result.json == {"login_name": "zhang_wei", "available": True}


def test_document_checks_have_a_per_client_quota():
    http, rpc = client(
        {("accounts", "check_document"): lambda **kw: {"registered": False}},
        documents_per_hour=2,
    )
    body = {
        "identity_region": "mainland",
        "doc_type": "resident_id",
        "doc_number": "11010519491231002X",
        "captcha_id": "c",
        "captcha_answer": "a",
    }
    for _ in range(2):
        assert (
            http.simulate_post(f"{API}/documents/check", json=body).status_code == 200
        )
    result = http.simulate_post(f"{API}/documents/check", json=body)
    assert result.status_code == 429
    assert int(result.headers["Retry-After"]) > 0
    assert len(calls(rpc, "check_document")) == 2


def test_captcha_required_is_428():
    def check(**kwargs):
        raise ce.CaptchaRequired("captcha_required", "solve it")

    http, _ = client({("accounts", "check_document"): check})
    result = http.simulate_post(
        f"{API}/documents/check",
        json={
            "identity_region": "mainland",
            "doc_type": "resident_id",
            "doc_number": gen.resident_id(),
        },
    )
    assert (result.status_code, result.json["code"]) == (428, "captcha_required")


def test_password_strength():
    http, rpc = client(
        {
            ("accounts", "rate_password"): lambda password, login_name: {
                "strength": "weak",
                "acceptable": False,
                "problems": [],
            }
        }
    )
    result = http.simulate_post(
        f"{API}/password-strength", json={"password": "abc", "login_name": "zw"}
    )
    assert result.json["strength"] == "weak"
    assert calls(rpc, "rate_password") == [{"password": "abc", "login_name": "zw"}]


# --- log in / out ------------------------------------------------------------------------


def logged_in(**kwargs):
    return login_reply("pending")


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


# --- authentication ------------------------------------------------------------------------


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


# --- agents (flow 7) ----------------------------------------------------------------------

AGENT = {
    "person_id": "0b6f7c1e-2c55-4d1f-9a7e-3f1d2a6b9c40",
    "login_name": "li_na",
    "name": "李*",
    "granted_at": "2026-11-28T08:00:00+08:00",
}


def test_designating_an_agent_sends_the_login_name_only_and_answers_201():
    http, rpc = client(
        {
            ("accounts", "designate_agent"): lambda account_id, login_name: {
                "agent": AGENT
            }
        }
    )
    result = http.simulate_post(
        f"{API}/me/agents",
        headers=BEARER,
        json={"login_name": "LI_NA", "organization_id": "someone-else"},
    )
    assert result.status_code == 201
    assert result.json == {"agent": AGENT}
    assert result.headers["Cache-Control"] == "no-store"
    assert calls(rpc, "designate_agent") == [
        {"account_id": ACCOUNT["account_id"], "login_name": "LI_NA"}
    ]


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ce.Forbidden("organization_only", "x"), 403, "organization_only"),
        (
            ce.Forbidden("organization_not_verified", "x"),
            403,
            "organization_not_verified",
        ),
        (
            ce.InvalidInput(
                "validation_failed",
                "x",
                {
                    "errors": [
                        {
                            "field": "login_name",
                            "code": "agent_limit_reached",
                            "message": "m",
                        }
                    ],
                    "limit": 20,
                },
            ),
            422,
            "validation_failed",
        ),
    ],
)
def test_designation_refusals_come_from_accounts(error, status, code):
    def refuse(account_id, login_name):
        raise error

    http, _ = client({("accounts", "designate_agent"): refuse})
    result = http.simulate_post(
        f"{API}/me/agents", headers=BEARER, json={"login_name": "li_na"}
    )
    assert (result.status_code, result.json["code"]) == (status, code)
    assert result.headers["Content-Type"] == "application/problem+json"
    if status == 422:
        assert result.json["errors"][0]["code"] == "agent_limit_reached"
        assert result.json["limit"] == 20


def test_agents_need_a_session_and_a_csrf_token_with_the_cookie():
    http, rpc = client({("accounts", "designate_agent"): lambda **kw: {"agent": AGENT}})
    assert http.simulate_get(f"{API}/me/agents").status_code == 401
    assert http.simulate_get(f"{API}/me/organizations").status_code == 401
    assert (
        http.simulate_delete(f"{API}/me/agents/{AGENT['person_id']}").status_code == 401
    )
    result = http.simulate_post(
        f"{API}/me/agents",
        headers={"Cookie": "__Host-session=good-token"},
        json={"login_name": "li_na"},
    )
    assert (result.status_code, result.json["code"]) == (403, "csrf_token_invalid")
    assert calls(rpc, "designate_agent") == []


def test_listing_and_revoking_agents_and_my_organisations():
    organizations = {
        "items": [
            {
                "organization_id": "o",
                "name": "n",
                "unique_code": "913*************43",
                "granted_at": "2026-11-28T08:00:00+08:00",
            }
        ]
    }
    http, rpc = client(
        {
            ("accounts", "list_agents"): lambda account_id: {"items": [AGENT]},
            ("accounts", "revoke_agent"): lambda account_id, person_id: {
                "person_id": person_id,
                "revoked_at": "2026-11-28T09:00:00+08:00",
            },
            ("accounts", "list_represented_organizations"): lambda account_id: (
                organizations
            ),
        }
    )
    listed = http.simulate_get(f"{API}/me/agents", headers=BEARER)
    assert (listed.status_code, listed.json) == (200, {"items": [AGENT]})
    revoked = http.simulate_delete(
        f"{API}/me/agents/{AGENT['person_id']}", headers=BEARER
    )
    assert revoked.status_code == 204 and not revoked.content
    assert calls(rpc, "revoke_agent") == [
        {"account_id": ACCOUNT["account_id"], "person_id": AGENT["person_id"]}
    ]
    mine = http.simulate_get(f"{API}/me/organizations", headers=BEARER)
    assert (mine.status_code, mine.json) == (200, organizations)
    assert calls(rpc, "list_represented_organizations") == [
        {"account_id": ACCOUNT["account_id"]}
    ]


def test_revoking_what_is_not_an_agent_is_404():
    def refuse(account_id, person_id):
        raise ce.NotFound("agent_not_found", "not an agent")

    http, _ = client({("accounts", "revoke_agent"): refuse})
    result = http.simulate_delete(f"{API}/me/agents/nope", headers=BEARER)
    assert (result.status_code, result.json["code"]) == (404, "agent_not_found")
