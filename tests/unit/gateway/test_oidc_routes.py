"""The OpenID Provider's authorize step in the gateway, over a fake sso and accounts:
what the browser is sent where, and what sso is asked to keep."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import falcon.testing
import pytest
from contracts.errors import Forbidden, Unauthenticated
from gateway.app import create_app
from gateway.oidc.server import login_redirect
from gateway.settings import Settings

from tests.unit.gateway.fakes import FakeRedis, FakeRpc

ISSUER = "https://portal.example.gov.cn"
REDIRECT = "https://torch.example.gov.cn/callback"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def fake_sso(saved: list, refuse: str | None = None) -> FakeRpc:
    def save_authorization_code(grant):
        if refuse:
            raise Forbidden(refuse, "no")
        saved.append(grant)
        return {"expires_in": 60}

    def resolve_session(token, csrf_token=None):
        if token != "live-session":
            raise Unauthenticated("session_invalid", "")
        return {
            "session_id": "ses-1",
            "account_id": "acc-1",
            "kind": "person",
            "role": "user",
            "login_name": "zhangsan",
            "must_change_password": False,
            "csrf_ok": False,
        }

    return FakeRpc(
        {
            ("sso", "get_provider_info"): lambda: {
                "issuer": ISSUER,
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                "scopes_supported": ["openid", "profile"],
                "claims_supported": ["sub"],
                "code_ttl_seconds": 60,
            },
            ("sso", "get_client"): lambda client_id: (
                {
                    "client_id": client_id,
                    "name_zh": "火炬统计",
                    "name_en": "Torch statistics",
                    "redirect_uris": [REDIRECT],
                    "scopes": ["openid", "profile"],
                    "token_endpoint_auth_method": "client_secret_basic",
                }
                if client_id == "torch-statistics"
                else None
            ),
            ("sso", "save_authorization_code"): save_authorization_code,
            ("accounts", "resolve_session"): resolve_session,
        }
    )


def authorize(rpc: FakeRpc, session: str | None = "live-session", **params):
    query = {
        "response_type": "code",
        "client_id": "torch-statistics",
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": "st",
        "nonce": "nn",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **params,
    }
    app = create_app(Settings(environment="test"), rpc, FakeRedis())
    headers = {"Cookie": f"__Host-session={session}"} if session else {}
    return falcon.testing.TestClient(app).simulate_get(
        "/oidc/authorize", params=query, headers=headers
    )


def location(result) -> tuple[str, dict[str, str]]:
    parts = urlsplit(result.headers["Location"])
    base = (
        f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.scheme else parts.path
    )
    return base, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_a_portal_session_gets_a_code_with_state_and_iss():
    saved: list = []
    result = authorize(fake_sso(saved))

    assert result.status_code == 302
    base, query = location(result)
    assert base == REDIRECT
    assert query["state"] == "st"
    assert query["iss"] == ISSUER
    (grant,) = saved
    assert grant["code"] == query["code"]
    assert grant["account_id"] == "acc-1"
    assert grant["session_id"] == "ses-1"
    assert grant["nonce"] == "nn"
    assert grant["code_challenge_method"] == "S256"
    assert grant["select_account"] is False


def test_plain_pkce_is_refused_at_the_redirect_uri_and_nothing_is_kept():
    saved: list = []
    result = authorize(fake_sso(saved), code_challenge_method="plain")

    base, query = location(result)
    assert base == REDIRECT
    assert query["error"] == "invalid_request"
    assert saved == []


def test_an_unregistered_redirect_uri_is_never_redirected_to():
    result = authorize(fake_sso([]), redirect_uri=REDIRECT + "/../evil")

    assert result.status_code == 400
    assert "Location" not in result.headers


@pytest.mark.parametrize(
    "params",
    [
        {"redirect_uri": "\x81d>c\x08>\U000ad579@"},  # found by the OpenAPI fuzzing
        {"response_type": "code\r\n"},
    ],
)
def test_a_parameter_that_cannot_be_quoted_back_is_an_invalid_request(params):
    result = authorize(fake_sso([]), **params)

    assert result.status_code == 400
    assert result.json["error"] == "invalid_request"
    assert "Location" not in result.headers


def test_without_a_session_the_browser_logs_in_first():
    result = authorize(fake_sso([]), session=None)

    base, query = location(result)
    assert base == "/login"
    assert query["next"].startswith("/oidc/authorize?")


def test_an_agent_is_sent_to_answer_as_whom_they_enter():
    result = authorize(
        fake_sso([], refuse="account_selection_required"), acting_choice="spent"
    )

    base, query = location(result)
    assert base == "/sso/acting-for"
    assert "acting_choice" not in query["next"]


def test_an_account_the_business_system_does_not_admit_gets_access_denied():
    result = authorize(fake_sso([], refuse="account_kind_not_admitted"))

    base, query = location(result)
    assert base == REDIRECT
    assert query["error"] == "access_denied"
    assert query["iss"] == ISSUER


def test_login_redirect_keeps_the_request_and_drops_a_spent_choice():
    url = login_redirect("/login?lang=zh", "/oidc/authorize?a=1&acting_choice=x&b=2")
    assert url == "/login?lang=zh&next=%2Foidc%2Fauthorize%3Fa%3D1%26b%3D2"
