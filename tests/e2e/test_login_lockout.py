"""Lockout as a weapon (issue 12, finding 4), over HTTP with every service running.

An attacker who knows a login name locks it with five wrong passwords from one
address; the owner, from another address (a second loopback address: to the
gateway another TCP peer), proves the reserved phone with an SMS code read from
the dev outbox, unlocks the name and logs in. Someone without the code cannot
unlock, and locking the name again from elsewhere no longer keeps the owner out.
"""

from __future__ import annotations

import random
import re
import uuid

import pytest
import requests

from tests import identity_data as gen
from tests.support import client

pytestmark = pytest.mark.e2e

ATTACKER = "127.0.0.21"
OWNER = "127.0.0.22"
UNLOCK_CODE = re.compile(r"验证码为(\d{6})，用于解除登录锁定")


def unlock_code(url: str, phone: str, http: requests.Session) -> str:
    return client.wait_for_sms(url, phone, UNLOCK_CODE, http, what="the unlock SMS")


def outbox(url: str, phone: str) -> list[dict]:
    return requests.get(
        f"{url}/dev/sms-outbox", params={"phone": phone}, timeout=10
    ).json()["messages"]


def test_the_owner_unlocks_with_an_sms_code_what_an_attacker_locked(live_stack):
    url = live_stack.url
    body, _ = client.register_person(url)
    name, phone = body["login_name"], body["phone"]
    attacker, owner = client.session_from(ATTACKER), client.session_from(OWNER)

    assert client.lock_login_name(url, name, attacker) == [401, 401, 401, 401, 423]
    locked_out = client.log_in(url, name, session=owner)
    assert (locked_out.status_code, locked_out.json()["code"]) == (
        423,
        "account_locked",
    )

    # The attacker, without the owner's phone: the same 202, nothing sent.
    own_phone = gen.mobile(random.Random())
    asked = attacker.post(
        f"{url}/login/unlock-codes",
        json={"login_name": name, "phone": own_phone, **client.captcha(url, attacker)},
        timeout=10,
    )
    assert asked.status_code == 202, asked.text
    guessed = attacker.post(
        f"{url}/login/unlock",
        json={"login_name": name, "phone": phone, "sms_code": "000000"},
        timeout=10,
    )
    assert guessed.status_code == 422, guessed.text
    assert guessed.json()["errors"][0]["field"] == "sms_code"
    assert client.log_in(url, name, session=owner).status_code == 423

    # The owner asks for a code to the reserved phone, reads it, unlocks.
    asked = owner.post(
        f"{url}/login/unlock-codes",
        json={"login_name": name, "phone": phone, **client.captcha(url, owner)},
        timeout=10,
    )
    assert (asked.status_code, asked.text) == (202, "")
    code = unlock_code(url, phone, owner)
    unlocked = owner.post(
        f"{url}/login/unlock",
        json={"login_name": name, "phone": phone, "sms_code": code},
        timeout=10,
    )
    assert unlocked.status_code == 204, unlocked.text
    # the code was spent: the attacker cannot replay it
    replayed = attacker.post(
        f"{url}/login/unlock",
        json={"login_name": name, "phone": phone, "sms_code": code},
        timeout=10,
    )
    assert replayed.status_code == 422, replayed.text

    # Locked again from elsewhere: the owner's address still gets in, with the
    # right password and no captcha; the attacker's is still locked out.
    assert client.lock_login_name(url, name, attacker)[-1] == 423
    logged_in = client.log_in(url, name, session=owner)
    assert logged_in.status_code == 201, logged_in.text
    assert logged_in.json()["account"]["login_name"] == name
    assert client.log_in(url, name, session=attacker).status_code == 423
    assert not [m for m in outbox(url, own_phone)]


def test_asking_for_an_unlock_code_answers_the_same_for_any_name(live_stack):
    url = live_stack.url
    body, _ = client.register_person(url)
    stranger = client.session_from("127.0.0.23")
    answers = []
    for name in (body["login_name"], f"nobody_{uuid.uuid4().hex[:8]}"):
        for phone in (body["phone"], gen.mobile(random.Random())):
            answer = stranger.post(
                f"{url}/login/unlock-codes",
                json={
                    "login_name": name,
                    "phone": phone,
                    **client.captcha(url, stranger),
                },
                timeout=10,
            )
            answers.append((answer.status_code, answer.text))
            unlock = stranger.post(
                f"{url}/login/unlock",
                json={"login_name": name, "phone": phone, "sms_code": "123456"},
                timeout=10,
            )
            answers.append((unlock.status_code, unlock.json()["errors"][0]["field"]))
    # every request for a code: 202, nothing in the body; every wrong code: 422
    assert answers[0::2] == [(202, "")] * 4
    assert answers[1::2] == [(422, "sms_code")] * 4
    # an unlock without a captcha is refused before anything else
    bare = stranger.post(
        f"{url}/login/unlock-codes",
        json={"login_name": body["login_name"], "phone": body["phone"]},
        timeout=10,
    )
    assert (bare.status_code, bare.json()["code"]) == (428, "captcha_required")
