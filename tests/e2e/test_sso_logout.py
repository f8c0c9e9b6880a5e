"""Single sign-on (sso.md): RP-initiated logout and Back-Channel Logout 1.0, with a
business system down during the logout."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

import jwt
import pytest
import requests

from tests.support import client
from tests.support.demo import sso_cli
from tests.support.oidc import (
    TORCH_REDIRECT,
    BackChannelReceiver,
    browse,
    code_for,
    discovery,
    origin,
    redeem,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


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
