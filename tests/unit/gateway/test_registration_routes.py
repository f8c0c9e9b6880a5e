"""The registration and check routes with a fake RPC pool: only contract fields
passed, 422/400 before any RPC, quotas, the captcha, password strength.
"""

from __future__ import annotations

import json

import pytest
from contracts import errors as ce

from tests import identity_data as gen
from tests.unit.gateway.accounts_app import API, calls, client
from tests.unit.gateway.fakes import ACCOUNT


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
