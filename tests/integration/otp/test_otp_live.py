"""otp as its callers see it: the gateway over HTTP and other services over RPC,
against every service and the gateway running as real processes."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections import Counter

import pytest
import redis
import requests
from contracts.errors import InvalidInput, RateLimited
from gateway.rpc import RpcPool
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

from tests.integration.otp.conftest import CODE, random_ip, random_phone
from tests.support.events import contract_breaches
from tests.support.servers import PrivateRedis
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def expired(calls, phone, code, purpose="register_person") -> bool:
    with pytest.raises(InvalidInput) as error:
        calls.verify(phone, code, purpose)
    return error.value.error_code == "sms_code_expired"


def test_captcha_then_code_then_outbox_then_accepted_once(calls):
    phone = random_phone()
    created = requests.post(f"{calls.url}/captchas", timeout=10)
    assert created.status_code == 201
    assert created.json()["image"].startswith("data:image/png;base64,iVBORw0KGgo")
    assert created.json()["expires_in"] == 300

    sent = calls.send_http(phone.removeprefix("+86"), "register_person")
    assert sent.status_code == 202, sent.text
    assert sent.json() == {"expires_in": 300, "resend_after": 60}

    code = calls.wait_code(phone)
    (message,) = calls.outbox(phone)
    assert message["text"].startswith("【科技部政务服务平台】")
    calls.verify(phone, code)  # another service accepts it once...
    assert expired(calls, phone, code)  # ...and a second use fails


def test_bad_input_is_422_with_a_stable_code(calls):
    phone = random_phone()
    problem(calls.send_http("12345"), 422, "phone_invalid")
    problem(calls.send_http(phone, "lottery"), 422, "purpose_invalid")
    problem(
        calls.send_http(phone, captcha_id="", captcha_answer=""), 422, "captcha_invalid"
    )
    missing = requests.post(
        f"{calls.url}/sms-codes", json={"phone": phone, "purpose": "appeal"}, timeout=10
    )
    problem(missing, 422, "captcha_invalid")

    captcha_id, answer = calls.new_captcha()
    wrong = calls.send_http(phone, captcha_id=captcha_id, captcha_answer="WRONG")
    problem(wrong, 422, "captcha_invalid")
    # the wrong answer spent the captcha: the right one no longer works
    again = calls.send_http(phone, captcha_id=captcha_id, captcha_answer=answer.lower())
    problem(again, 422, "captcha_invalid")
    assert calls.outbox(phone) == []


def test_a_wrong_code_tells_the_tries_left_and_the_fifth_burns_it(calls):
    phone = random_phone()
    calls.send_rpc(phone, "appeal")
    code = calls.wait_code(phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    left = []
    for _ in range(5):
        with pytest.raises(InvalidInput) as error:
            calls.verify(phone, wrong, "appeal")
        assert error.value.error_code == "sms_code_invalid"
        left.append(error.value.details["tries_left"])
    assert left == [4, 3, 2, 1, 0]
    assert expired(calls, phone, code, "appeal")


def test_a_second_send_within_the_cooldown_is_429_with_retry_after(calls):
    phone = random_phone()
    assert calls.send_http(phone, "change_phone").status_code == 202
    again = calls.send_http(phone, "change_phone")
    body = problem(again, 429, "sms_rate_limited")
    assert 0 < int(again.headers["Retry-After"]) <= 60
    assert body["retry_after"] == int(again.headers["Retry-After"])
    # another purpose of the same phone is not cooling down
    assert calls.send_http(phone, "password_reset").status_code == 202


def test_fifty_concurrent_correct_submissions_make_exactly_one_success(
    live_stack, calls, otp_copy
):
    otp_copy(replace=False)  # two otp processes share the verifications
    phone = random_phone()
    calls.send_rpc(phone, "password_reset")
    code = calls.wait_code(phone)
    tag = f"race-{uuid.uuid4().hex}"
    barrier = threading.Barrier(50)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit():
        pool = RpcPool(live_stack.isolation.amqp_uri, timeout=10)
        pool.call("otp", "ping")  # connect before the start line
        barrier.wait()
        try:
            pool.call(
                "otp",
                "verify_sms_code",
                context={"correlation_id": tag},
                phone=phone,
                purpose="password_reset",
                code=code,
            )
            outcome = "accepted"
        except InvalidInput as exc:
            outcome = exc.error_code
        finally:
            pool.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=submit) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Counter(outcomes) == {"accepted": 1, "sms_code_expired": 49}

    def copies_that_served():
        return {
            line["_copy"]
            for line in _lines_with_copy(live_stack)
            if line.get("correlation_id") == tag
            and line.get("message") == "entrypoint finished"
        }

    assert wait_for(lambda: len(copies_that_served()) == 2 and copies_that_served())


def _lines_with_copy(stack):
    for path in sorted(stack.log_dir.glob("otp-*.log")):
        for raw in path.read_text(errors="replace").splitlines():
            if raw.startswith("{"):
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue
                line["_copy"] = path.stem
                yield line


def test_each_limit_bites_at_exactly_its_number(live_stack, calls, otp_copy):
    # Small limits, and a key prefix of their own so no other test's sends count.
    otp_copy(
        REDIS_KEY_PREFIX=f"{live_stack.isolation.redis_prefix}limits-{uuid.uuid4().hex[:6]}:",
        OTP_RESEND_COOLDOWN="0",
        OTP_PHONE_PER_HOUR="3",
        OTP_CLIENT_PER_HOUR="4",
        OTP_GLOBAL_PER_DAY="9",
    )
    # per phone per hour: 3 (all from the gateway's one client address)
    phone = random_phone()
    for _ in range(3):
        assert calls.send_http(phone).status_code == 202
    refused = calls.send_http(phone)
    problem(refused, 429, "sms_rate_limited")
    assert 3590 <= int(refused.headers["Retry-After"]) <= 3600

    # per client address per hour: 4 (the 4th send from this address works, the 5th not)
    assert calls.send_http(random_phone()).status_code == 202
    problem(calls.send_http(random_phone()), 429, "sms_rate_limited")

    # the global daily ceiling: 9 sends in all, whoever asks
    for client in [random_ip()] * 4 + [random_ip()]:
        calls.send_rpc(random_phone(), client_ip=client)
    with pytest.raises(RateLimited) as error:
        calls.send_rpc(random_phone(), client_ip=random_ip())
    assert error.value.error_code == "sms_rate_limited"
    assert error.value.details["retry_after"] > 0


def test_an_accepted_sms_survives_an_otp_crash_and_a_carrier_outage(
    live_stack, calls, otp_copy
):
    with Connection(live_stack.isolation.amqp_uri) as connection:
        events = Queue(
            f"test-sms-sent-{uuid.uuid4().hex}",
            get_event_exchange("otp", {}),
            routing_key="sms_sent",
            auto_delete=True,
        )(connection.default_channel)
        events.declare()

        accepting = otp_copy(SMS_WORKERS="0")  # accepts sends, delivers nothing
        phone = random_phone()
        calls.send_rpc(phone, "register_organization")
        assert calls.outbox(phone) == []
        live_stack.kill("otp", accepting)  # SIGKILL: a crash

        otp_copy(SMS_OUTBOX_FAILURES="2", SMS_RETRY_BASE="0.2")
        code = calls.wait_code(phone, timeout=20)
        (message,) = calls.outbox(phone)
        assert message["attempt"] == 3  # two simulated carrier failures, then sent
        calls.verify(phone, code, "register_organization")

        def sms_sent():
            while (received := events.get(no_ack=True)) is not None:
                if received.payload["data"]["message_id"] == message["message_id"]:
                    return received.payload
            return None

        event = wait_for(sms_sent, timeout=10, what="sms_sent")
    assert event["source"] == "otp" and event["event_type"] == "sms_sent"
    assert contract_breaches([event]) == []  # what otp published is its SmsSent
    assert event["data"]["kind"] == "code" and event["data"]["attempts"] == 3
    text = json.dumps(event)
    assert code not in text and phone.removeprefix("+86") not in text


def test_a_redis_restart_loses_codes_in_flight_and_never_revives_a_spent_code(
    live_stack, calls, otp_copy
):
    server = PrivateRedis()
    server.start()
    try:
        otp_copy(REDIS_URL=server.url)
        spent, in_flight, saved = random_phone(), random_phone(), random_phone()
        codes = {}
        for phone in (spent, in_flight, saved):
            calls.send_rpc(phone)
            codes[phone] = calls.wait_code(phone)
        calls.verify(spent, codes[spent])
        # A snapshot taken while `saved` is still unused; then it is used.
        direct = redis.Redis(port=server.port)
        direct.save()
        calls.verify(saved, codes[saved])

        server.kill()
        down = requests.post(f"{calls.url}/captchas", timeout=10)
        problem(down, 503, "store_unavailable")
        assert int(down.headers["Retry-After"]) > 0

        server.start()  # loads the snapshot
        assert any(b":otp:code:" in key for key in direct.keys("*")), (
            "snapshot not loaded"
        )
        wait_for(calls.otp_answers, timeout=20, what="otp to reach Redis again")
        for phone, code in codes.items():
            assert expired(calls, phone, code), phone

        # users ask again, and it works
        calls.send_rpc(in_flight, "appeal")
        code = calls.wait_code(in_flight, count=2)
        calls.verify(in_flight, code, "appeal")
        direct.close()
    finally:
        server.remove()


def test_production_refuses_to_start_with_the_development_key(live_stack):
    live_stack.start("otp", copy=9, ENVIRONMENT="production", SMS_PROVIDER="log")
    process = live_stack.processes.pop(("otp", 9))
    wait_for(lambda: process.poll() is not None, timeout=30, what="otp to refuse")
    assert process.returncode != 0
    log = live_stack.log_path("otp", 9).read_text(errors="replace")
    assert "production refuses the development OTP_HMAC_KEY" in log


def test_the_code_in_the_outbox_is_the_only_copy_of_the_code(live_stack, calls):
    """Neither otp's nor the gateway's logs contain a code or a full phone."""
    phone = random_phone()
    assert calls.send_http(phone, "appeal").status_code == 202
    code = calls.wait_code(phone)
    calls.verify(phone, code, "appeal")
    for service in ("otp", "gateway"):
        for path in live_stack.log_dir.glob(f"{service}-*.log"):
            text = path.read_text(errors="replace")
            assert phone.removeprefix("+86") not in text, path.name
            assert not re.search(rf"\b{code}\b", text), path.name
    assert CODE.search(calls.outbox(phone)[0]["text"]).group(1) == code
