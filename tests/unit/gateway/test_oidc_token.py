"""The token endpoint in the gateway, over a fake sso: Authlib parses the request
and shapes the errors, and the whole request is one ``exchange_code`` RPC."""

from __future__ import annotations

import base64

import falcon.testing
from gateway.app import create_app
from gateway.settings import Settings

from tests.unit.gateway.fakes import FakeRedis, FakeRpc
from tests.unit.gateway.test_oidc_routes import REDIRECT, fake_sso

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
TOKENS = {
    "access_token": "at",
    "token_type": "Bearer",
    "expires_in": 600,
    "scope": "openid profile",
    "id_token": "it",
}


def sso_answering(answer: dict) -> FakeRpc:
    rpc = fake_sso([])
    rpc.answers["sso", "exchange_code"] = lambda request: answer
    return rpc


def post_token(rpc: FakeRpc, verifier: str = VERIFIER, secret: str = "s3cret"):  # noqa: S107
    app = create_app(Settings(environment="test"), rpc, FakeRedis())
    basic = base64.b64encode(f"torch-statistics:{secret}".encode()).decode()
    return falcon.testing.TestClient(app).simulate_post(
        "/oidc/token",
        body=(
            "grant_type=authorization_code&code=the-code"
            f"&redirect_uri={REDIRECT}&code_verifier={verifier}"
        ),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": f"Basic {basic}",
        },
    )


def exchanges(rpc: FakeRpc) -> list[dict]:
    return [kwargs for _, method, kwargs, _ in rpc.calls if method == "exchange_code"]


def test_the_token_request_is_one_rpc_carrying_the_credential_and_the_verifier():
    rpc = sso_answering(
        {"tokens": TOKENS, "redirect_uri": REDIRECT, "code_challenge": CHALLENGE}
    )

    result = post_token(rpc)

    assert result.status_code == 200, result.text
    assert result.json["access_token"] == "at"
    assert result.json["id_token"] == "it"
    sent = exchanges(rpc)
    assert len(sent) == 1
    request = sent[0]["request"]
    assert request["client_id"] == "torch-statistics"
    assert request["auth_method"] == "client_secret_basic"
    assert request["client_secret"] == "s3cret"
    assert request["code"] == "the-code"
    assert request["redirect_uri"] == REDIRECT
    assert request["code_verifier"] == VERIFIER
    sso_methods = [m for service, m, _, _ in rpc.calls if service == "sso"]
    assert set(sso_methods) <= {"get_provider_info", "get_client", "exchange_code"}


def test_a_client_sso_does_not_authenticate_gets_401_with_a_basic_challenge():
    result = post_token(sso_answering({"refused": "invalid_client"}), secret="wrong")

    assert result.status_code == 401
    assert result.json["error"] == "invalid_client"
    assert result.headers["WWW-Authenticate"].startswith("Basic ")


def test_a_code_sso_refuses_is_invalid_grant():
    result = post_token(sso_answering({"refused": "invalid_grant"}))

    assert result.status_code == 400
    assert result.json["error"] == "invalid_grant"


def test_a_malformed_verifier_is_an_invalid_request_and_spends_nothing():
    rpc = sso_answering({"refused": "invalid_grant"})

    result = post_token(rpc, verifier="too-short")

    assert result.status_code == 400
    assert result.json["error"] == "invalid_request"
    assert exchanges(rpc) == []


def test_an_answer_for_another_verifier_is_refused_by_authlib_too():
    """Authlib checks PKCE again on what sso answers: they must agree."""
    other = "A" * 43
    rpc = sso_answering(
        {"tokens": TOKENS, "redirect_uri": REDIRECT, "code_challenge": other}
    )

    result = post_token(rpc)

    assert result.status_code == 400
    assert result.json["error"] == "invalid_grant"
