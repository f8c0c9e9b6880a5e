"""Single sign-on (sso.md) for operators: signing keys rotated and kept in the
JWKS until their tokens expire, business systems added, their secret rotated and
disabled with the admin CLI."""

from __future__ import annotations

import secrets

import jwt
import pytest
import requests

from tests.support.demo import sso_cli
from tests.support.oidc import (
    TORCH,
    TORCH_REDIRECT,
    authorize_url,
    browse,
    code_for,
    discovery,
    redeem,
    userinfo,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


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
