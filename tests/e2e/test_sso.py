"""Single sign-on (sso.md) over HTTP, every service a real process.

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

from tests import identity_data as gen
from tests.support import client
from tests.support.demo import running_demo, sso_cli
from tests.support.oidc import (
    HIGHTECH,
    HIGHTECH_SECRET,
    PUBLIC,
    PUBLIC_REDIRECT,
    SESSION_COOKIE,
    TORCH,
    TORCH_REDIRECT,
    TORCH_SECRET,
    BackChannelReceiver,
    at_hash,
    authorize_url,
    browse,
    choose_acting_for,
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
from tests.support.waiting import wait_for

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


# --- operators: signing keys and business systems ---------------------------------------------


def kid_of(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def test_rotated_signing_keys_stay_published_until_their_tokens_expire(
    live_stack, person
):
    code, verifier = code_for(live_stack, person[1])
    before = redeem(live_stack, code, verifier).json()
    old_kid = kid_of(before["id_token"])

    retired = sso_cli(live_stack, "rotate-signing-keys")["retired"]
    code, verifier = code_for(live_stack, person[1])
    after = redeem(live_stack, code, verifier).json()

    assert old_kid in retired
    new_kid = kid_of(after["id_token"])
    assert new_kid != old_kid
    meta = discovery(live_stack)
    published = {
        key["kid"] for key in requests.get(meta["jwks_uri"], timeout=10).json()["keys"]
    }
    assert {old_kid, new_kid} <= published
    # a token signed with the retired key is still good until it expires
    assert userinfo(live_stack, before["access_token"]).status_code == 200
    jwks = jwt.PyJWKClient(meta["jwks_uri"])
    for tokens in (before, after):
        key = jwks.get_signing_key_from_jwt(tokens["id_token"]).key
        jwt.decode(tokens["id_token"], key, algorithms=["RS256"], audience=TORCH)


def test_operators_add_a_business_system_rotate_its_secret_and_disable_it(
    live_stack, person, tmp_path
):
    client_id = f"cli-{secrets.token_hex(4)}"
    file = tmp_path / "clients.yml"
    file.write_text(
        "clients:\n"
        f"  - client_id: {client_id}\n"
        "    secret: first-secret-of-this-system\n"
        f"    redirect_uris: [{TORCH_REDIRECT}]\n"
        "    name_zh: 测试系统\n"
        "    name_en: A test system\n",
        encoding="utf-8",
    )
    assert sso_cli(live_stack, "add-client", str(file)) == {"registered": 1}

    def enter(secret: str) -> requests.Response:
        code, verifier = code_for(live_stack, person[1], client_id=client_id)
        return redeem(live_stack, code, verifier, client_id=client_id, secret=secret)

    assert enter("first-secret-of-this-system").status_code == 200
    new_secret = sso_cli(live_stack, "rotate-secret", client_id)["client_secret"]
    assert enter("first-secret-of-this-system").status_code == 401
    assert enter(new_secret).status_code == 200

    sso_cli(live_stack, "disable", client_id)

    # a gateway process may reuse a client's description for 2 s
    def refusal() -> dict | None:
        answer = browse(authorize_url(live_stack, client_id=client_id), person[1])
        return answer.json() if answer.status_code == 400 else None

    refused = wait_for(refusal, timeout=10, what="the disabled client to be refused")
    assert refused["error"] == "invalid_client"
    catalogue = requests.get(f"{live_stack.url}/services", timeout=10).json()["items"]
    assert client_id not in {item["client_id"] for item in catalogue}


# --- acting for an organisation ------------------------------------------------------------------


def test_an_agent_enters_for_the_organisation_until_it_revokes_them(live_stack):
    url = live_stack.url
    org_body, org = client.register_organization(
        url, registry=live_stack.authority_registry
    )
    person_body, person = client.register_person(url)

    def session_of(login_name: str) -> str:
        answer = client.log_in_solving_captcha(url, login_name, gen.PASSWORD)
        assert answer.status_code == 201, answer.text
        return answer.json()["token"]

    as_org, agent = (
        session_of(org_body["login_name"]),
        session_of(person_body["login_name"]),
    )
    client.wait_for_real_name(
        url, as_org, "passed", what="the organisation's verification to pass"
    )
    client.designate_agent(url, as_org, person_body["login_name"])

    # the agent opens Torch statistics: the portal asks as whom
    verifier, challenge = pkce()
    authorize = authorize_url(
        live_stack, state="s-4", code_challenge=challenge, code_challenge_method="S256"
    )
    asked = browse(authorize, agent)
    assert asked.status_code == 302
    assert asked.headers["Location"].startswith("/sso/acting-for?")
    back = query_of(asked.headers["Location"])["next"]
    assert back.startswith("/oidc/authorize?")
    choice = choose_acting_for(live_stack, agent, org["account_id"])
    entered = browse(f"{origin(live_stack)}{back}&acting_choice={choice}", agent)
    assert entered.status_code == 302
    code = query_of(entered.headers["Location"])["code"]
    tokens = redeem(live_stack, code, verifier).json()

    meta = discovery(live_stack)
    jwks = jwt.PyJWKClient(meta["jwks_uri"])
    id_token = jwt.decode(
        tokens["id_token"],
        jwks.get_signing_key_from_jwt(tokens["id_token"]).key,
        algorithms=["RS256"],
        audience=TORCH,
        issuer=meta["issuer"],
    )
    assert id_token["sub"] == person["account_id"]
    assert id_token["acting_for"]["organization_id"] == org["account_id"]
    assert id_token["acting_for"]["name"] == org_body["name"]
    assert id_token["acting_for"]["role"] == "agent"
    access = jwt.decode(
        tokens["access_token"],
        jwks.get_signing_key_from_jwt(tokens["access_token"]).key,
        algorithms=["RS256"],
        audience=TORCH,
    )
    assert access["sub"] == org["account_id"]  # RFC 8693: the organisation ...
    assert access["act"] == {"sub": person["account_id"]}  # ... and its actor
    info = userinfo(live_stack, tokens["access_token"])
    assert info.json()["acting_for"]["organization_id"] == org["account_id"]

    revoked = requests.delete(
        f"{url}/me/agents/{person['account_id']}",
        headers=client.bearer(as_org),
        timeout=10,
    )
    assert revoked.status_code == 204

    # from that moment: the token already issued no longer acts for it ...
    assert userinfo(live_stack, tokens["access_token"]).status_code == 401
    # ... the organisation cannot be chosen, and the next entry is as myself
    refused = requests.post(
        f"{url}/sso/acting-choices",
        json={"organization_id": org["account_id"]},
        headers=client.bearer(agent),
        timeout=10,
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_an_agent"
    code, verifier = code_for(live_stack, agent)
    again = redeem(live_stack, code, verifier).json()
    claims = jwt.decode(again["id_token"], options={"verify_signature": False})
    assert "acting_for" not in claims
    assert claims["sub"] == person["account_id"]


def test_prompt_select_account_asks_even_a_person_who_is_no_agent(live_stack, person):
    url = authorize_url(
        live_stack,
        prompt="select_account",
        code_challenge=pkce()[1],
        code_challenge_method="S256",
    )
    asked = browse(url, person[1])

    assert asked.status_code == 302
    assert asked.headers["Location"].startswith("/sso/acting-for?")
    myself = choose_acting_for(live_stack, person[1], None)
    back = query_of(asked.headers["Location"])["next"]
    entered = browse(f"{origin(live_stack)}{back}&acting_choice={myself}", person[1])
    assert entered.status_code == 302
    assert "code" in query_of(entered.headers["Location"])
    # a choice is used once
    replayed = browse(f"{origin(live_stack)}{back}&acting_choice={myself}", person[1])
    assert replayed.headers["Location"].startswith("/sso/acting-for?")


# --- logout -----------------------------------------------------------------------------------


def test_rp_initiated_logout_ends_the_portal_session_and_returns_with_state(live_stack):
    body, _ = client.register_person(live_stack.url)
    token = client.log_in_solving_captcha(
        live_stack.url, body["login_name"], body["password"]
    ).json()["token"]
    code, verifier = code_for(live_stack, token)
    id_token = redeem(live_stack, code, verifier).json()["id_token"]
    logout = f"{origin(live_stack)}/oidc/logout"
    assert discovery(live_stack)["end_session_endpoint"] == logout

    # a look-alike return address is not followed, and a bare link logs nobody out
    bare = browse(
        f"{logout}?{urlencode({'post_logout_redirect_uri': 'http://127.0.0.1:8090/'})}",
        token,
    )
    assert bare.status_code == 200
    assert bare.json() == {"logged_out": False}
    me = requests.get(f"{live_stack.url}/me", headers=client.bearer(token), timeout=10)
    assert me.status_code == 200

    answer = browse(
        f"{logout}?"
        + urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": "http://127.0.0.1:8090/",
                "state": "bye",
            }
        ),
        token,
    )

    assert answer.status_code == 302
    assert answer.headers["Location"] == "http://127.0.0.1:8090/?state=bye"
    me = requests.get(f"{live_stack.url}/me", headers=client.bearer(token), timeout=10)
    assert me.status_code == 401


def register_backchannel_client(stack, tmp_path, receiver) -> tuple[str, str]:
    """A business system with a back-channel logout URI: (client id, secret)."""
    client_id, secret = f"bcl-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    file = tmp_path / f"{client_id}.yml"
    file.write_text(
        "clients:\n"
        f"  - client_id: {client_id}\n"
        f"    secret: {secret}\n"
        f"    redirect_uris: [{TORCH_REDIRECT}]\n"
        f"    backchannel_logout_uri: {receiver.url}\n"
        "    name_zh: 测试系统\n"
        "    name_en: A test system\n",
        encoding="utf-8",
    )
    assert sso_cli(stack, "add-client", str(file)) == {"registered": 1}
    return client_id, secret


def verified_logout_token(stack, token: str, client_id: str) -> dict:
    """The claims of a logout token, its signature checked against the JWKS."""
    meta = discovery(stack)
    assert meta["backchannel_logout_supported"] is True
    assert jwt.get_unverified_header(token)["typ"] == "logout+jwt"
    key = jwt.PyJWKClient(meta["jwks_uri"]).get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience=client_id,
        issuer=meta["issuer"],
        options={"require": ["iat", "jti", "events"]},
    )


def test_a_portal_logout_reaches_every_business_system_it_entered_even_one_down(
    live_stack, tmp_path
):
    up, down = BackChannelReceiver(), BackChannelReceiver(down=True)
    try:
        systems = [
            register_backchannel_client(live_stack, tmp_path, receiver)
            for receiver in (up, down)
        ]
        body, _ = client.register_person(live_stack.url)
        token = client.log_in_solving_captcha(
            live_stack.url, body["login_name"], body["password"]
        ).json()["token"]
        subjects = set()
        for client_id, secret in systems:
            code, verifier = code_for(live_stack, token, client_id=client_id)
            tokens = redeem(
                live_stack, code, verifier, client_id=client_id, secret=secret
            )
            assert tokens.status_code == 200, tokens.text
            subjects.add(
                jwt.decode(
                    tokens.json()["id_token"], options={"verify_signature": False}
                )["sub"]
            )

        answer = requests.delete(
            f"{live_stack.url}/sessions/current",
            headers=client.bearer(token),
            timeout=10,
        )

        assert answer.status_code == 204
        wait_for(lambda: up.tokens, timeout=30, what="the logout token")
        wait_for(lambda: down.refused >= 2, timeout=30, what="a retried delivery")
        assert down.tokens == []
        down.down = False  # the business system is back
        wait_for(lambda: down.tokens, timeout=60, what="the late logout token")
        for receiver, (client_id, _) in zip((up, down), systems, strict=True):
            assert len(receiver.tokens) == 1
            claims = verified_logout_token(live_stack, receiver.tokens[0], client_id)
            assert claims["events"] == {
                "http://schemas.openid.net/event/backchannel-logout": {}
            }
            assert {claims["sub"]} == subjects
            assert "nonce" not in claims
        # the session is gone, and a second logout notifies nobody again
        again = requests.delete(
            f"{live_stack.url}/sessions/current",
            headers=client.bearer(token),
            timeout=10,
        )
        assert again.status_code == 401
    finally:
        up.close()
        down.close()


# --- the demo business system -----------------------------------------------------------------


def test_the_demo_torch_statistics_shows_the_person_without_a_second_login(
    live_stack, person, tmp_path
):
    with running_demo(live_stack, tmp_path) as demo:
        browser = requests.Session()

        # the catalogue's "enter" link: the demo's login, straight back with a code
        catalogue = browser.get(
            f"{live_stack.url}/services", headers=client.bearer(person[1]), timeout=10
        ).json()["items"]
        enter = next(item for item in catalogue if item["client_id"] == demo.client_id)
        home = _follow(browser, enter["enter_url"], person[1])

        assert home.status_code == 200
        assert "本人" in home.text  # no organisation acted for
        assert "信任等级" in home.text
        assert "通过门户登录" not in home.text  # no second login


def _follow(
    browser: requests.Session, url: str, portal_token: str
) -> requests.Response:
    """Follow redirects as a browser would, sending the portal's cookie (which is
    ``Secure``: requests would not send it over http on its own) to the portal."""
    for _ in range(10):
        answer = browser.get(
            url,
            headers={"Cookie": f"{SESSION_COOKIE}={portal_token}"}
            if "/oidc/" in url
            else {},
            allow_redirects=False,
            timeout=10,
        )
        if answer.status_code not in (302, 303):
            return answer
        url = requests.compat.urljoin(url, answer.headers["Location"])
    raise AssertionError("too many redirects")
