"""The text captcha (the image captcha's non-visual alternative) as its callers
see it: a question in words over HTTP, answered in digits through the same
fields as a picture's characters, spent by any check, and limited per client
address more tightly than the picture."""

from __future__ import annotations

import uuid

import pytest
import requests
from contracts.errors import RateLimited

from tests.integration.otp.conftest import random_ip, random_phone
from tests.integration.otp.test_otp_live import problem
from tests.support.captchas import solve

pytestmark = pytest.mark.integration


def text_captcha(url: str, language: str = "") -> dict:
    headers = {"Accept-Language": language} if language else {}
    created = requests.post(
        f"{url}/captchas", params={"form": "text"}, headers=headers, timeout=10
    )
    assert created.status_code == 201, created.text
    assert created.headers["Cache-Control"] == "no-store"
    return created.json()


def send(calls, phone: str, captcha_id: str, answer: str):
    return calls.send_http(phone, captcha_id=captcha_id, captcha_answer=answer)


def test_a_question_in_words_sends_a_code_once(calls):
    chinese = text_captcha(calls.url)
    assert chinese["form"] == "text" and "image" not in chinese
    assert chinese["question"].endswith("等于几？请用阿拉伯数字回答。")
    assert chinese["expires_in"] == 300

    english = text_captcha(calls.url, "en-GB,en;q=0.9")
    assert english["question"].startswith("What is ")
    answer = solve(english["question"])
    phone = random_phone()
    sent = send(calls, phone, english["captcha_id"], answer)
    assert sent.status_code == 202, sent.text
    assert calls.wait_code(phone)

    # single use: the same captcha and answer again are refused
    again = send(calls, random_phone(), english["captcha_id"], answer)
    problem(again, 422, "captcha_invalid")


def test_a_wrong_answer_is_refused_and_spends_the_captcha(calls):
    captcha = text_captcha(calls.url)
    right = solve(captcha["question"])
    wrong = str(int(right) + 1)
    phone = random_phone()
    problem(send(calls, phone, captcha["captcha_id"], wrong), 422, "captcha_invalid")
    # the right answer comes too late: any check spent it
    problem(send(calls, phone, captcha["captcha_id"], right), 422, "captcha_invalid")
    assert calls.outbox(phone) == []


def test_an_unknown_form_is_422(calls):
    answer = requests.post(f"{calls.url}/captchas?form=audio", timeout=10)
    body = problem(answer, 422, "captcha_form_invalid")
    assert body["errors"][0]["field"] == "form"


def test_text_captchas_have_a_tighter_quota_per_address(live_stack, calls, otp_copy):
    otp_copy(
        REDIS_KEY_PREFIX=f"{live_stack.isolation.redis_prefix}text-{uuid.uuid4().hex[:6]}:",
        OTP_TEXT_CAPTCHAS_PER_HOUR="3",
    )
    for _ in range(3):
        text_captcha(calls.url)
    refused = requests.post(f"{calls.url}/captchas?form=text", timeout=10)
    problem(refused, 429, "text_captcha_rate_limited")
    assert 3590 <= int(refused.headers["Retry-After"]) <= 3600
    # the picture is still there for this address
    assert requests.post(f"{calls.url}/captchas", timeout=10).status_code == 201

    # counted per address: another one gets its own three; an IPv6 /64 is one
    assert calls.rpc.call("otp", "create_text_captcha", client_ip=random_ip())
    for host in range(1, 4):
        calls.rpc.call("otp", "create_text_captcha", client_ip=f"2001:db8:7::{host}")
    with pytest.raises(RateLimited) as error:
        calls.rpc.call("otp", "create_text_captcha", client_ip="2001:db8:7::ffff")
    assert error.value.error_code == "text_captcha_rate_limited"
    assert error.value.details["retry_after"] > 0
