"""private_key_jwt registrations and assertion checks, and the PKCE S256 rule,
without a server (the jti's single use needs PostgreSQL: tests/e2e)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from types import SimpleNamespace

import jwt
import pytest
from joserfc.jwk import RSAKey
from pydantic import ValidationError
from sso import assertions, clients, codes

ISSUER = "https://portal.example"
KEY = RSAKey.generate_key(2048, {"kid": "k1", "alg": "RS256", "use": "sig"})
PUBLIC_JWKS = {"keys": [KEY.as_dict(private=False)]}
ROW = SimpleNamespace(client_id="keyed", jwks=PUBLIC_JWKS)


def registration(**changes) -> clients.Registration:
    fields = {
        "client_id": "keyed",
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": PUBLIC_JWKS,
        "redirect_uris": ["https://rp.example/cb"],
        "name_zh": "密钥",
        "name_en": "Keyed",
    }
    return clients.Registration(**{**fields, **changes})


def test_a_private_key_jwt_client_registers_its_public_keys_and_no_secret():
    assert registration().secret_hash() is None


@pytest.mark.parametrize(
    "changes",
    [
        {"jwks": None},  # no keys
        {"secret": "a-secret-for-a-keyed-client"},
        {"jwks": {"keys": [KEY.as_dict(private=True)]}},  # a private key
        {"jwks": {"keys": []}},
        {"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}},
        {"token_endpoint_auth_method": "client_secret_basic"},  # jwks for a secret
    ],
)
def test_a_bad_keyed_registration_is_refused(changes):
    with pytest.raises(ValidationError):
        registration(**changes)


def assertion(**claims) -> str:
    now = int(time.time())
    body = {
        "iss": "keyed",
        "sub": "keyed",
        "aud": ISSUER + "/oidc/token",
        "jti": "j-1",
        "exp": now + 60,
        **claims,
    }
    pem = KEY.as_pem(private=True)
    return jwt.encode(body, pem, algorithm="RS256", headers={"kid": "k1"})


def check(token: str):
    return assertions._claims(ROW, token, ISSUER, datetime.now(UTC))


@pytest.mark.parametrize("audience", [ISSUER + "/oidc/token", ISSUER])
def test_a_good_assertion_names_the_token_endpoint_or_the_issuer(audience):
    assert check(assertion(aud=audience))["jti"] == "j-1"


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "other"},
        {"sub": "other"},
        {"aud": "https://elsewhere.example/oidc/token"},
        {"exp": int(time.time()) - 120},
        {"exp": int(time.time()) + 3600},  # valid for too long
        {"jti": None},
        {"jti": ""},
    ],
)
def test_a_bad_assertion_is_refused(claims):
    assert check(assertion(**claims)) is None


def test_an_assertion_signed_with_hs256_over_the_public_key_is_refused():
    public_pem = KEY.as_pem(private=False).decode()
    now = int(time.time())
    body = {"iss": "keyed", "sub": "keyed", "aud": ISSUER, "jti": "j", "exp": now + 60}
    forged = _hs256(body, public_pem)
    assert check(forged) is None


def _hs256(body: dict, secret: str) -> str:
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "kid": "k1"}).encode())
    payload = b64(json.dumps(body).encode())
    mac = hmac.new(secret.encode(), f"{head}.{payload}".encode(), hashlib.sha256)
    return f"{head}.{payload}.{b64(mac.digest())}"


def test_s256_is_rfc_7636s_example():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert codes.s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
