"""``private_key_jwt`` at the token endpoint (sso.md; OIDC Core §9, RFC 7523).

A business system registered with its public JWK Set (the admin CLI, a clients
file with inline ``jwks``) authenticates by a JWT it signs. The happy path is
driven by pyoidc (``oic``), which signs the assertion itself and verifies the ID
token against the JWKS; the negative cases craft assertions with PyJWT, each
answered ``invalid_client`` without spending the code.
"""

from __future__ import annotations

import json
import secrets
import time

import jwt
import pytest
import requests
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa
from jwkest.jwk import RSAKey as JwkestRSAKey
from oic.oic import Client as OicClient
from oic.oic.message import RegistrationResponse
from oic.utils.authn.client import CLIENT_AUTHN_METHOD
from oic.utils.keyio import KeyBundle

from tests.support.demo import sso_cli
from tests.support.oidc import (
    TORCH,
    code_for,
    discovery,
    oic_authorize,
    origin,
    userinfo,
)

pytestmark = pytest.mark.e2e

REDIRECT = "http://127.0.0.1:8093/callback"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class KeyedClient:
    """A business system's id and its RSA key (the public half registered)."""

    def __init__(self):
        self.client_id = f"pkjwt-{secrets.token_hex(4)}"
        self.kid = f"k-{secrets.token_hex(4)}"
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def public_jwks(self) -> dict:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def assertion(self, audience: str, key=None, **claims) -> str:
        now = int(time.time())
        body = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "jti": secrets.token_urlsafe(16),
            "iat": now,
            "exp": now + 60,
            **claims,
        }
        return jwt.encode(
            body, key or self.key, algorithm="RS256", headers={"kid": self.kid}
        )


@pytest.fixture(scope="module")
def keyed(stack, tmp_path_factory) -> KeyedClient:
    """A private_key_jwt business system, added by the operators' CLI."""
    keyed = KeyedClient()
    path = tmp_path_factory.mktemp("clients") / "clients.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "clients": [
                    {
                        "client_id": keyed.client_id,
                        "token_endpoint_auth_method": "private_key_jwt",
                        "jwks": keyed.public_jwks(),
                        "redirect_uris": [REDIRECT],
                        "name_zh": "密钥客户端",
                        "name_en": "Keyed client",
                    }
                ]
            }
        )
    )
    assert sso_cli(stack, "add-client", str(path)) == {"registered": 1}
    return keyed


def keyed_code(stack, session_token: str, keyed: KeyedClient) -> tuple[str, str]:
    return code_for(stack, session_token, keyed.client_id, REDIRECT)


def token_request(stack, code: str, verifier: str, client_id: str, assertion: str):
    return requests.post(
        f"{origin(stack)}/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": client_id,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        },
        timeout=10,
    )


def token_url(stack) -> str:
    return discovery(stack)["token_endpoint"]


def test_discovery_offers_private_key_jwt(live_stack):
    meta = discovery(live_stack)

    assert "private_key_jwt" in meta["token_endpoint_auth_methods_supported"]
    assert set(meta["token_endpoint_auth_signing_alg_values_supported"]) == {
        "RS256",
        "ES256",
    }


def test_pyoidc_enters_with_private_key_jwt(live_stack, person, keyed):
    account, session_token = person
    issuer = origin(live_stack)
    rp = OicClient(client_authn_method=CLIENT_AUTHN_METHOD)
    rp.provider_config(issuer)
    rp.store_registration_info(
        RegistrationResponse(client_id=keyed.client_id, redirect_uris=[REDIRECT])
    )
    bundle = KeyBundle()
    bundle.append(JwkestRSAKey(key=_pycryptodome(keyed.key), kid=keyed.kid, use="sig"))
    rp.keyjar.add_kb("", bundle)
    response, _, (state, nonce, verifier) = oic_authorize(
        rp, session_token, keyed.client_id, REDIRECT
    )

    tokens = rp.do_access_token_request(
        state=state,
        request_args={"code": response["code"], "code_verifier": verifier},
        authn_method="private_key_jwt",
    )

    id_token = tokens["id_token"]  # pyoidc verified its signature with the JWKS
    assert id_token["aud"] == [keyed.client_id]
    assert id_token["sub"] == account["account_id"]
    assert id_token["nonce"] == nonce
    info = rp.do_user_info_request(state=state, method="GET")
    assert info["sub"] == account["account_id"]


def _pycryptodome(key):
    """The same RSA key for pyjwkest (pycryptodomex)."""
    from Cryptodome.PublicKey import RSA
    from cryptography.hazmat.primitives import serialization

    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return RSA.import_key(pem)


def _refused(answer) -> None:
    assert answer.status_code in (400, 401), answer.text
    assert answer.json()["error"] == "invalid_client"


def test_an_assertion_signed_with_another_key_is_refused(
    live_stack,
    person,
    keyed,
):
    code, verifier = keyed_code(live_stack, person[1], keyed)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    _refused(
        token_request(
            live_stack,
            code,
            verifier,
            keyed.client_id,
            keyed.assertion(token_url(live_stack), key=other),
        )
    )
    # the code was not spent: the client, authenticated, still gets its tokens
    good = keyed.assertion(token_url(live_stack))
    answer = token_request(live_stack, code, verifier, keyed.client_id, good)
    assert answer.status_code == 200, answer.text
    assert userinfo(live_stack, answer.json()["access_token"]).status_code == 200


def test_a_reused_assertion_is_refused_by_every_copy(live_stack, person, keyed):
    live_stack.start("sso", copy=1)  # two copies share the requests
    live_stack.wait_ready()
    assertion = keyed.assertion(token_url(live_stack))
    code, verifier = keyed_code(live_stack, person[1], keyed)
    first = token_request(live_stack, code, verifier, keyed.client_id, assertion)
    assert first.status_code == 200, first.text

    for _ in range(4):
        code, verifier = keyed_code(live_stack, person[1], keyed)
        _refused(token_request(live_stack, code, verifier, keyed.client_id, assertion))


def test_an_expired_assertion_is_refused(live_stack, person, keyed):
    code, verifier = keyed_code(live_stack, person[1], keyed)
    now = int(time.time())
    expired = keyed.assertion(token_url(live_stack), iat=now - 300, exp=now - 120)

    _refused(token_request(live_stack, code, verifier, keyed.client_id, expired))


@pytest.mark.parametrize(
    "audience", ["http://127.0.0.1:8093/", "https://elsewhere.example/oidc/token"]
)
def test_an_assertion_for_another_audience_is_refused(
    live_stack,
    person,
    keyed,
    audience,
):
    code, verifier = keyed_code(live_stack, person[1], keyed)

    _refused(
        token_request(
            live_stack, code, verifier, keyed.client_id, keyed.assertion(audience)
        )
    )


def test_the_issuer_is_an_accepted_audience(live_stack, person, keyed):
    code, verifier = keyed_code(live_stack, person[1], keyed)
    assertion = keyed.assertion(discovery(live_stack)["issuer"])

    answer = token_request(live_stack, code, verifier, keyed.client_id, assertion)

    assert answer.status_code == 200, answer.text


def test_a_secret_client_sending_an_assertion_is_refused(live_stack, person, keyed):
    """torch-statistics is registered with a secret: an assertion, even one
    naming it and signed by a key, does not authenticate it."""
    code, verifier = code_for(live_stack, person[1])
    impostor = KeyedClient()
    impostor.client_id = TORCH
    answer = requests.post(
        f"{origin(live_stack)}/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://127.0.0.1:8090/callback",
            "code_verifier": verifier,
            "client_id": TORCH,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": impostor.assertion(token_url(live_stack)),
        },
        timeout=10,
    )

    _refused(answer)


def test_a_keyed_client_cannot_use_a_secret_or_no_credential(
    live_stack,
    person,
    keyed,
):
    code, verifier = keyed_code(live_stack, person[1], keyed)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_id": keyed.client_id,
    }
    bare = requests.post(f"{origin(live_stack)}/oidc/token", data=form, timeout=10)
    posted = requests.post(
        f"{origin(live_stack)}/oidc/token",
        data={**form, "client_secret": "x" * 32},
        timeout=10,
    )

    _refused(bare)
    _refused(posted)
