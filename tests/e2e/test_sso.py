"""Single sign-on (sso.md) over HTTP, every service a real process: the code flow,
what the provider refuses and the catalogue (operators, agents, logout and the demo
are in the test_sso_*.py beside it).

The code flow is driven by two relying-party libraries independent of the provider
(which is built on Authlib): pyoidc (``oic``) and requests-oauthlib with PyJWT's
``PyJWKClient``. Each validates the ID token's signature against the JWKS. The
browser is ``requests`` carrying the portal's session cookie, as a browser would
after logging in at the portal.
"""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlencode

import jwt
import pytest
import requests
import sqlalchemy as sa
from oic.oic import Client as OicClient
from oic.oic.message import RegistrationResponse
from oic.utils.authn.client import CLIENT_AUTHN_METHOD
from requests_oauthlib import OAuth2Session

from tests.support import client
from tests.support.oidc import (
    HIGHTECH,
    HIGHTECH_SECRET,
    PUBLIC,
    PUBLIC_REDIRECT,
    TORCH,
    TORCH_REDIRECT,
    TORCH_SECRET,
    at_hash,
    authorize_url,
    browse,
    code_for,
    discovery,
    oic_authorize,
    origin,
    pkce,
    query_of,
    redeem,
    sso_database,
    userinfo,
)

pytestmark = pytest.mark.e2e

# the helpers (constants, the browser, PKCE, the token request) are in tests/support/oidc.py


# --- the code flow, two relying-party libraries --------------------------------------------


def test_pyoidc_enters_torch_statistics_with_the_portal_session(live_stack, person):
    account, token = person
    issuer = origin(live_stack)
    rp = OicClient(client_authn_method=CLIENT_AUTHN_METHOD)
    rp.provider_config(issuer)  # discovery; the issuer must match
    rp.store_registration_info(
        RegistrationResponse(
            client_id=TORCH, client_secret=TORCH_SECRET, redirect_uris=[TORCH_REDIRECT]
        )
    )
    response, location, (state, nonce, verifier) = oic_authorize(
        rp, token, TORCH, TORCH_REDIRECT
    )

    assert location.startswith(TORCH_REDIRECT + "?")
    assert response["state"] == state
    assert response["iss"] == issuer  # RFC 9207
    tokens = rp.do_access_token_request(
        state=state,
        request_args={"code": response["code"], "code_verifier": verifier},
        authn_method="client_secret_basic",
    )
    id_token = tokens["id_token"]  # pyoidc verified its signature with the JWKS
    assert id_token["iss"] == issuer
    assert id_token["aud"] == [TORCH]
    assert id_token["nonce"] == nonce
    assert id_token["sub"] == account["account_id"]
    assert id_token["at_hash"] == at_hash(tokens["access_token"])
    assert id_token["account_kind"] == "person"
    assert id_token["amr"] == ["pwd"]
    assert id_token.jws_header["alg"] == "RS256"
    info = rp.do_user_info_request(state=state, method="GET")
    assert info["sub"] == account["account_id"]
    assert info["account_kind"] == "person"
    assert info["trust_level"] in (1, 2)


def test_requests_oauthlib_and_pyjwt_enter_as_a_public_client(
    live_stack, person, monkeypatch
):
    # oauthlib refuses http unless told; the stack serves plain http on loopback
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    account, token = person
    meta = discovery(live_stack)
    rp = OAuth2Session(
        PUBLIC, redirect_uri=PUBLIC_REDIRECT, scope=["openid", "profile"], pkce="S256"
    )
    nonce = secrets.token_urlsafe(8)
    url, state = rp.authorization_url(meta["authorization_endpoint"], nonce=nonce)
    answer = browse(url, token)

    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert query_of(location)["iss"] == meta["issuer"]
    tokens = rp.fetch_token(
        meta["token_endpoint"],
        authorization_response=location,
        include_client_id=True,  # a public client: PKCE, no secret
    )
    signing_key = jwt.PyJWKClient(meta["jwks_uri"]).get_signing_key_from_jwt(
        tokens["id_token"]
    )
    claims = jwt.decode(
        tokens["id_token"],
        signing_key.key,
        algorithms=["ES256"],  # the algorithm this business system registered
        audience=PUBLIC,
        issuer=meta["issuer"],
    )
    assert claims["nonce"] == nonce
    assert claims["sub"] == account["account_id"]
    assert claims["at_hash"] == at_hash(tokens["access_token"])
    assert query_of(location)["state"] == state
    info = rp.get(meta["userinfo_endpoint"], timeout=10)
    assert info.status_code == 200
    assert info.json()["sub"] == account["account_id"]


# --- what the provider refuses ---------------------------------------------------------------


@pytest.mark.parametrize(
    "pkce_params",
    [
        {},  # no PKCE
        {"code_challenge": "x" * 43, "code_challenge_method": "plain"},
        {"code_challenge": "x" * 43},  # no method means plain (RFC 7636 §4.3)
    ],
    ids=["missing", "plain", "plain-by-default"],
)
def test_an_authorize_request_without_s256_pkce_is_refused(
    live_stack, person, pkce_params
):
    url = authorize_url(live_stack, state="s-1", **pkce_params)
    answer = browse(url, person[1])

    assert answer.status_code == 302
    query = query_of(answer.headers["Location"])
    assert answer.headers["Location"].startswith(TORCH_REDIRECT + "?")
    assert query["error"] == "invalid_request"
    assert query["state"] == "s-1"
    assert query["iss"] == origin(live_stack)
    assert "code" not in query


@pytest.mark.parametrize(
    "redirect_uri",
    [
        TORCH_REDIRECT + "/evil",
        TORCH_REDIRECT + "x",
        TORCH_REDIRECT + "?next=x",
        "http://127.0.0.1:8091/callback",  # another business system's
        "http://127.0.0.1:8090/callback/../callback",
    ],
)
def test_a_look_alike_redirect_uri_is_refused_without_redirecting(
    live_stack, person, redirect_uri
):
    _, challenge = pkce()
    answer = browse(
        authorize_url(
            live_stack,
            redirect_uri=redirect_uri,
            code_challenge=challenge,
            code_challenge_method="S256",
        ),
        person[1],
    )

    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert answer.json()["error"] == "invalid_request"


def test_an_unknown_client_is_refused_without_redirecting(live_stack, person):
    answer = browse(authorize_url(live_stack, client_id="no-such-system"), person[1])

    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert answer.json()["error"] == "invalid_client"


def test_a_wrong_verifier_gets_invalid_grant(live_stack, person):
    code, _ = code_for(live_stack, person[1])
    answer = redeem(live_stack, code, pkce()[0])

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_a_replayed_code_is_refused_and_revokes_what_it_issued(live_stack, person):
    code, verifier = code_for(live_stack, person[1])
    first = redeem(live_stack, code, verifier)
    assert first.status_code == 200, first.text
    access_token = first.json()["access_token"]
    assert userinfo(live_stack, access_token).status_code == 200

    second = redeem(live_stack, code, verifier)

    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    revoked = userinfo(live_stack, access_token)
    assert revoked.status_code == 401
    assert 'error="invalid_token"' in revoked.headers["WWW-Authenticate"]


def test_an_expired_code_gets_invalid_grant(live_stack, person):
    code, verifier = code_for(live_stack, person[1])
    # a code lives at most 60 s: age this one rather than wait
    engine = sso_database(live_stack)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE authorization_codes SET expires_at = now() - interval '1 second'"
                " WHERE code_hash = :h"
            ),
            {"h": hashlib.sha256(code.encode()).hexdigest()},
        )
    engine.dispose()

    answer = redeem(live_stack, code, verifier)

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_a_wrong_client_secret_gets_invalid_client(live_stack, person):
    code, verifier = code_for(live_stack, person[1])
    answer = redeem(live_stack, code, verifier, secret="not-the-secret-of-torch")

    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_a_code_of_another_client_gets_invalid_grant(live_stack, person):
    code, verifier = code_for(live_stack, person[1])
    answer = redeem(
        live_stack,
        code,
        verifier,
        client_id=HIGHTECH,
        secret=HIGHTECH_SECRET,
        post=True,
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    # and the code is spent: its own client cannot use it after the attempt
    assert redeem(live_stack, code, verifier).status_code == 400


def test_an_account_kind_the_business_system_does_not_admit_is_refused(
    live_stack, person
):
    _, challenge = pkce()
    answer = browse(
        authorize_url(
            live_stack,
            client_id=HIGHTECH,  # organisations only
            redirect_uri="http://127.0.0.1:8091/callback",
            state="s-2",
            code_challenge=challenge,
            code_challenge_method="S256",
        ),
        person[1],
    )

    assert answer.status_code == 302
    query = query_of(answer.headers["Location"])
    assert query["error"] == "access_denied"
    assert query["state"] == "s-2"
    assert "code" not in query


def test_without_a_portal_session_the_browser_goes_to_the_login_page(live_stack):
    url = authorize_url(
        live_stack, code_challenge=pkce()[1], code_challenge_method="S256"
    )
    answer = browse(url, None)

    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith("/login?")
    assert query_of(location)["next"].startswith("/oidc/authorize?")


def test_prompt_none_without_a_session_answers_login_required(live_stack):
    url = authorize_url(
        live_stack,
        prompt="none",
        state="s-3",
        code_challenge=pkce()[1],
        code_challenge_method="S256",
    )
    answer = browse(url, None)

    assert answer.status_code == 302
    query = query_of(answer.headers["Location"])
    assert query["error"] == "login_required"
    assert query["state"] == "s-3"


def test_userinfo_without_a_valid_token_is_401(live_stack):
    answer = userinfo(live_stack, "not.a.token")

    assert answer.status_code == 401
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


# --- the catalogue ----------------------------------------------------------------------------


def test_the_catalogue_says_for_the_caller_what_it_may_enter(live_stack, person):
    anonymous = requests.get(f"{live_stack.url}/services", timeout=10).json()["items"]
    mine = requests.get(
        f"{live_stack.url}/services", headers=client.bearer(person[1]), timeout=10
    ).json()["items"]

    assert {item["reason"] for item in anonymous} == {"login_required"}
    by_id = {item["client_id"]: item for item in mine}
    assert by_id[TORCH]["may_enter"] is True
    # the "enter" link starts the business system's own login (OIDC Core §4)
    assert by_id[TORCH]["enter_url"] == (
        "http://127.0.0.1:8090/login?" + urlencode({"iss": origin(live_stack)})
    )
    assert by_id[TORCH]["name_zh"] == "火炬统计"
    assert by_id[HIGHTECH]["may_enter"] is False
    assert by_id[HIGHTECH]["reason"] == "account_kind_not_admitted"
