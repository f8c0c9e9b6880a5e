"""Single sign-on sessions over HTTP, every service a real process: ``sid`` in the
ID and logout tokens, logout tokens for portal sessions that end other than by the
logout button (a password change, a reset, expiry), and personal data in the
claims, masked unless the business system may receive it, every release audited.

Logout tokens are validated as Back-Channel Logout 1.0 §2.6 asks a business
system to, with PyJWT against the JWKS.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from urllib.parse import urlencode

import jwt
import pytest
import requests
import sqlalchemy as sa
import yaml
from contracts.masking import mask_document, mask_phone

from tests.support import client
from tests.support.demo import sso_cli
from tests.support.oidc import (
    TORCH_REDIRECT,
    BackChannelReceiver,
    authorize_url,
    browse,
    code_for,
    discovery,
    origin,
    pkce,
    query_of,
    redeem,
    sso_database,
    userinfo,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e

EVENT = "http://schemas.openid.net/event/backchannel-logout"
PERSONAL = "openid profile phone identity"


# --- helpers --------------------------------------------------------------------------------


def register_system(stack, tmp_path, receiver=None, **fields) -> tuple[str, str]:
    """A business system (with a back-channel logout URI when ``receiver``):
    (client id, secret)."""
    client_id, secret = f"ses-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    entry = {
        "client_id": client_id,
        "secret": secret,
        "redirect_uris": [TORCH_REDIRECT],
        "name_zh": "测试系统",
        "name_en": "A test system",
        **fields,
    }
    if receiver is not None:
        entry["backchannel_logout_uri"] = receiver.url
    file = tmp_path / f"{client_id}.yml"
    file.write_text(yaml.safe_dump({"clients": [entry]}), encoding="utf-8")
    assert sso_cli(stack, "add-client", str(file)) == {"registered": 1}
    return client_id, secret


def new_person(stack) -> dict:
    body, account = client.register_person(stack.url)
    return {**body, "account_id": account["account_id"]}


def log_in(stack, person: dict, password: str | None = None) -> str:
    answer = client.log_in_solving_captcha(
        stack.url, person["login_name"], password or person["password"]
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]


def enter(stack, token: str, system: tuple[str, str], scope: str | None = None):
    """The portal session ``token`` enters ``system``: its token answer."""
    client_id, secret = system
    if scope is None:
        code, verifier = code_for(stack, token, client_id=client_id)
    else:
        code, verifier = _code_with_scope(stack, token, client_id, scope)
    tokens = redeem(stack, code, verifier, client_id=client_id, secret=secret)
    assert tokens.status_code == 200, tokens.text
    return tokens.json()


def _code_with_scope(stack, token: str, client_id: str, scope: str):
    verifier, challenge = pkce()
    url = authorize_url(
        stack,
        client_id,
        scope=scope,
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    answer = browse(url, token)
    assert answer.status_code == 302, answer.text
    return query_of(answer.headers["Location"])["code"], verifier


def id_claims(stack, tokens: dict, client_id: str) -> dict:
    meta = discovery(stack)
    key = jwt.PyJWKClient(meta["jwks_uri"]).get_signing_key_from_jwt(tokens["id_token"])
    return jwt.decode(
        tokens["id_token"],
        key.key,
        algorithms=["RS256"],
        audience=client_id,
        issuer=meta["issuer"],
    )


def logout_claims(stack, token: str, client_id: str) -> dict:
    """Back-Channel Logout 1.0 §2.6: the checks a business system makes."""
    meta = discovery(stack)
    assert jwt.get_unverified_header(token)["typ"] == "logout+jwt"
    key = jwt.PyJWKClient(meta["jwks_uri"]).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=meta["id_token_signing_alg_values_supported"],
        audience=client_id,  # 2.6 step 3: aud
        issuer=meta["issuer"],  # iss
        options={"require": ["iss", "aud", "iat", "jti", "events", "sid", "sub"]},
    )
    assert claims["events"] == {EVENT: {}}  # 2.6 step 4
    assert "nonce" not in claims  # 2.6 step 6
    assert abs(claims["iat"] - time.time()) < 300  # a recent token
    return claims


def me_status(stack, token: str) -> int:
    return requests.get(
        f"{stack.url}/me", headers=client.bearer(token), timeout=10
    ).status_code


def sso_rows(stack, query: str, **params) -> list:
    """Rows of sso's own database (the registry, the audit)."""
    engine = sso_database(stack)
    try:
        with engine.connect() as db:
            return db.execute(sa.text(query), params).all()
    finally:
        engine.dispose()


def entries(stack, account_id: str) -> list:
    return sso_rows(
        stack,
        "SELECT client_id, sid, logged_out_at, end_reason FROM session_entries "
        "WHERE account_id = :a",
        a=account_id,
    )


@pytest.fixture
def receivers():
    made: list[BackChannelReceiver] = []

    def make(down: bool = False) -> BackChannelReceiver:
        made.append(BackChannelReceiver(down=down))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


# --- sid ------------------------------------------------------------------------------------


def test_discovery_says_logout_tokens_carry_a_sid_and_lists_the_personal_scopes(
    live_stack,
):
    meta = discovery(live_stack)

    assert meta["backchannel_logout_supported"] is True
    assert meta["backchannel_logout_session_supported"] is True
    assert {"phone", "identity"} <= set(meta["scopes_supported"])
    assert {"sid", "phone_number", "phone_number_verified"} <= set(
        meta["claims_supported"]
    )
    assert {"document_type", "document_number"} <= set(meta["claims_supported"])


def test_the_sid_names_one_session_at_one_system_and_rp_logout_ends_only_it(
    live_stack, tmp_path, receivers
):
    x_receiver = receivers()
    x = register_system(live_stack, tmp_path, x_receiver)
    y = register_system(live_stack, tmp_path)
    person = new_person(live_stack)
    first, second = log_in(live_stack, person), log_in(live_stack, person)

    first_x = id_claims(live_stack, enter(live_stack, first, x), x[0])
    first_y = id_claims(live_stack, enter(live_stack, first, y), y[0])
    second_tokens = enter(live_stack, second, x)
    second_x = id_claims(live_stack, second_tokens, x[0])

    sids = {first_x["sid"], first_y["sid"], second_x["sid"]}
    assert len(sids) == 3  # per session and per business system
    for sid in sids:  # nothing of the cookie or of the session id in it
        assert first not in sid and second not in sid
        assert hashlib.sha256(first.encode()).hexdigest() not in sid
    # entering again in the same session: the same sid
    again = id_claims(live_stack, enter(live_stack, first, x), x[0])
    assert again["sid"] == first_x["sid"]

    # the second session's ID token, presented from the first session: the first
    # session is not the one it names, so it lives on
    logout = f"{origin(live_stack)}/oidc/logout?" + urlencode(
        {"id_token_hint": second_tokens["id_token"]}
    )
    wrong = browse(logout, first)
    assert wrong.json() == {"logged_out": False}
    assert me_status(live_stack, first) == 200

    right = browse(logout, second)

    assert right.json() == {"logged_out": True}
    assert me_status(live_stack, second) == 401
    assert me_status(live_stack, first) == 200
    wait_for(lambda: x_receiver.tokens, timeout=30, what="the logout token")
    claims = logout_claims(live_stack, x_receiver.tokens[0], x[0])
    assert claims["sid"] == second_x["sid"]
    assert claims["sub"] == person["account_id"]
    time.sleep(2)  # the first session's entry is not logged out
    assert len(x_receiver.tokens) == 1


# --- sessions that end other than by the logout button --------------------------------------


def test_a_password_change_logs_the_other_sessions_out_of_every_system_they_entered(
    live_stack, tmp_path, receivers
):
    x_receiver, y_receiver = receivers(), receivers()
    x = register_system(live_stack, tmp_path, x_receiver)
    y = register_system(live_stack, tmp_path, y_receiver)
    person = new_person(live_stack)
    other, mine = log_in(live_stack, person), log_in(live_stack, person)
    other_x = id_claims(live_stack, enter(live_stack, other, x), x[0])["sid"]
    other_y = id_claims(live_stack, enter(live_stack, other, y), y[0])["sid"]
    enter(live_stack, mine, x)

    client.change_password(
        live_stack.url, mine, person["password"], person["password"] + "x9"
    )

    assert me_status(live_stack, other) == 401
    assert me_status(live_stack, mine) == 200
    wait_for(lambda: x_receiver.tokens and y_receiver.tokens, timeout=30, what="tokens")
    assert logout_claims(live_stack, x_receiver.tokens[0], x[0])["sid"] == other_x
    assert logout_claims(live_stack, y_receiver.tokens[0], y[0])["sid"] == other_y
    time.sleep(2)  # the session that changed the password stays in x
    assert len(x_receiver.tokens) == 1
    reasons = {row.end_reason for row in entries(live_stack, person["account_id"])}
    assert reasons == {"password_changed", None}


def reset_password(stack, person: dict, new_password: str) -> None:
    """Recovery's reset by login name and reserved phone, over HTTP."""
    url = stack.url
    started = requests.post(
        f"{url}/recovery/password-resets",
        json={"login_name": person["login_name"], **client.captcha(url)},
        timeout=10,
    )
    assert started.status_code == 201, started.text
    base = f"{url}/recovery/password-resets/{started.json()['reset_id']}"
    national = person["phone"].removeprefix("+86")
    sent = requests.post(f"{base}/sms-code", json={"phone": national}, timeout=10)
    assert sent.status_code == 202, sent.text
    code = client.wait_for_sms(url, person["phone"], client.CODE, what="reset code")
    done = requests.post(
        f"{base}/complete",
        json={"sms_code": code, "new_password": new_password},
        timeout=10,
    )
    assert done.status_code == 204, done.text


def test_a_password_reset_logs_every_session_out_of_the_systems_it_entered(
    live_stack, tmp_path, receivers
):
    x_receiver = receivers()
    x = register_system(live_stack, tmp_path, x_receiver)
    person = new_person(live_stack)
    token = log_in(live_stack, person)
    sid = id_claims(live_stack, enter(live_stack, token, x), x[0])["sid"]

    reset_password(live_stack, person, person["password"] + "r7")

    assert me_status(live_stack, token) == 401
    wait_for(lambda: x_receiver.tokens, timeout=30, what="the logout token")
    claims = logout_claims(live_stack, x_receiver.tokens[0], x[0])
    assert (claims["sid"], claims["sub"]) == (sid, person["account_id"])
    [row] = entries(live_stack, person["account_id"])
    assert row.end_reason == "password_reset"


def test_an_expired_session_is_logged_out_everywhere_even_where_a_system_was_down(
    live_stack, tmp_path, receivers
):
    up, down = receivers(), receivers(down=True)
    systems = [register_system(live_stack, tmp_path, r) for r in (up, down)]
    person = new_person(live_stack)
    # accounts with a short idle timeout, for the sessions opened now
    live_stack.kill("accounts", sig=15)
    live_stack.start("accounts", SESSION_IDLE_SECONDS="6")
    try:
        live_stack.wait_ready()
        token = log_in(live_stack, person)
        sids = [
            id_claims(live_stack, enter(live_stack, token, s), s[0])["sid"]
            for s in systems
        ]
        assert up.tokens == []  # not before it expires

        wait_for(lambda: up.tokens, timeout=60, what="the expired session's token")
        assert me_status(live_stack, token) == 401
        wait_for(lambda: down.refused >= 1, timeout=30, what="a refused delivery")
        down.down = False  # the business system is back
        wait_for(lambda: down.tokens, timeout=60, what="the late logout token")
    finally:
        live_stack.kill("accounts", sig=15)
        live_stack.start("accounts")
        live_stack.wait_ready()
    for receiver, (client_id, _), sid in zip((up, down), systems, sids, strict=True):
        assert len(receiver.tokens) == 1
        claims = logout_claims(live_stack, receiver.tokens[0], client_id)
        assert (claims["sid"], claims["sub"]) == (sid, person["account_id"])
    reasons = {row.end_reason for row in entries(live_stack, person["account_id"])}
    assert reasons == {"expired"}


# --- personal data in the claims ------------------------------------------------------------


def releases(stack, client_id: str) -> list:
    return sso_rows(
        stack,
        "SELECT channel, claims, masked FROM releases WHERE client_id = :c ORDER BY id",
        c=client_id,
    )


def test_phone_and_document_are_masked_unless_the_system_may_receive_them(
    live_stack, tmp_path
):
    scopes = ["openid", "profile", "phone", "identity"]
    masked = register_system(live_stack, tmp_path, scopes=scopes)
    full = register_system(
        live_stack, tmp_path, scopes=scopes, personal_data_allowed=True
    )
    person = new_person(live_stack)
    token = log_in(live_stack, person)
    e164 = "+86" + person["phone"].removeprefix("+86")

    shown = {}
    for system in (masked, full):
        tokens = enter(live_stack, token, system, scope=PERSONAL)
        claims = id_claims(live_stack, tokens, system[0])
        info = userinfo(live_stack, tokens["access_token"])
        assert info.status_code == 200, info.text
        for name in ("phone_number", "document_type", "document_number"):
            assert info.json()[name] == claims[name]
        shown[system[0]] = claims

    hidden, open_ = shown[masked[0]], shown[full[0]]
    assert hidden["phone_number"] == mask_phone(e164)
    assert hidden["document_number"] == mask_document(person["doc_number"])
    assert person["doc_number"] not in str(hidden)
    assert open_["phone_number"] == e164
    assert open_["document_number"] == person["doc_number"]
    for claims in (hidden, open_):
        assert claims["phone_number_verified"] is True
        assert claims["document_type"] == "resident_id"
    # without the scopes, no personal data at all
    plain = id_claims(live_stack, enter(live_stack, token, full), full[0])
    assert "phone_number" not in plain and "document_number" not in plain

    personal = {"phone_number", "phone_number_verified", "document_type"}
    for system, expected in ((masked, True), (full, False)):
        rows = releases(live_stack, system[0])
        assert [row.channel for row in rows][:2] == ["id_token", "userinfo"]
        for row in rows[:2]:
            assert personal | {"document_number"} <= set(row.claims)
            assert row.masked is expected
    assert releases(live_stack, full[0])[-1].masked is None  # no personal data


def test_an_organisation_releases_its_credit_code_as_its_identity(live_stack, tmp_path):
    scopes = ["openid", "profile", "identity"]
    masked = register_system(live_stack, tmp_path, scopes=scopes)
    full = register_system(
        live_stack, tmp_path, scopes=scopes, personal_data_allowed=True
    )
    body, _ = client.register_organization(live_stack.url)
    token = log_in(live_stack, body)

    hidden = id_claims(
        live_stack, enter(live_stack, token, masked, "openid identity"), masked[0]
    )
    open_ = id_claims(
        live_stack, enter(live_stack, token, full, "openid identity"), full[0]
    )

    assert open_["document_type"] == hidden["document_type"] == "credit_code"
    assert open_["document_number"] == body["credit_code"]
    assert hidden["document_number"] == mask_document(body["credit_code"])
    assert "phone_number" not in open_  # not asked for
