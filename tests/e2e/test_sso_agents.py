"""Single sign-on (sso.md) for an agent: entering a business system as oneself or
for an organisation that designated them, until it revokes them; ``prompt=select_account``."""

from __future__ import annotations

import jwt
import pytest
import requests

from tests import identity_data as gen
from tests.support import client
from tests.support.oidc import (
    TORCH,
    authorize_url,
    browse,
    choose_acting_for,
    code_for,
    discovery,
    origin,
    pkce,
    query_of,
    redeem,
    userinfo,
)

pytestmark = pytest.mark.e2e


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
