"""Delivery: a durable job, retried with back-off, an event without the code."""

from __future__ import annotations

import json
import logging
import re

import pytest
from otp import handlers
from otp.delivery import (
    DeliveryFailed,
    DeliveryWorker,
    LogProvider,
    OutboxProvider,
    SmsMessage,
    backoff_ms,
)
from otp.settings import OtpSettings

from tests.unit.otp.fakes import FakePublisher, FakeStore, make_otp

PHONE = "+8613800138000"
log = logging.getLogger("test.delivery")


@pytest.fixture
def publisher():
    return FakePublisher()


def make_worker(otp, publisher, failures=0, provider=None, **settings):
    otp.settings = otp.settings.replace(**settings)
    provider = provider or OutboxProvider(
        otp.store, otp.keyring, 50, 86_400_000, otp.clock, failures
    )
    return DeliveryWorker(
        otp.store,
        provider,
        publisher,
        otp.keyring,
        otp.settings,
        otp.clock,
        log,
        rand=lambda: 1.0,
    )


def send_code(otp, code="246810", phone=PHONE):
    otp.random.codes.append(code)
    captcha = handlers.create_captcha(otp)
    answer = handlers.get_captcha_answer(otp, captcha["captcha_id"])["answer"]
    handlers.send_sms_code(
        otp, phone, "register_person", captcha["captcha_id"], answer, "198.51.100.1"
    )


def outbox(otp, phone=PHONE):
    return handlers.read_sms_outbox(otp, phone)


def test_a_queued_code_reaches_the_outbox_and_emits_sms_sent_without_secrets(
    otp, store, publisher
):
    worker = make_worker(otp, publisher)
    send_code(otp)
    assert worker.run_once() is True
    assert worker.run_once() is False
    (message,) = outbox(otp)
    assert "246810" in message["text"]
    assert message["text"].startswith("【科技部政务服务平台】")
    assert "5分钟内有效" in message["text"]
    assert message["phone"] == PHONE and message["attempt"] == 1
    ((event_type, data, correlation_id),) = publisher.events
    assert event_type == "sms_sent"
    assert data == {
        "message_id": message["message_id"],
        "kind": "code",
        "purpose": "register_person",
        "provider": "outbox",
        "attempts": 1,
    }
    assert correlation_id == "corr-test-0001"
    assert not re.search(r"246810|13800138000", json.dumps(data))
    assert store.jobs == {} and store.due == {}


def test_a_carrier_outage_is_retried_with_back_off(otp, clock, store, publisher):
    worker = make_worker(otp, publisher, failures=2, sms_retry_base=2.0)
    send_code(otp)
    assert worker.run_once() is True  # attempt 1 fails: due again in 2 s
    assert worker.run_once() is False
    clock.advance(1.999)
    assert worker.run_once() is False
    clock.advance(0.001)
    assert worker.run_once() is True  # attempt 2 fails: due again in 4 s
    clock.advance(3.999)
    assert worker.run_once() is False
    clock.advance(0.001)
    assert worker.run_once() is True  # attempt 3 is delivered
    (message,) = outbox(otp)
    assert message["attempt"] == 3
    assert publisher.events[0][1]["attempts"] == 3


def test_delivery_gives_up_after_the_last_attempt(otp, clock, store, publisher):
    worker = make_worker(otp, publisher, failures=99, sms_max_attempts=3)
    send_code(otp)
    for _ in range(3):
        assert worker.run_once() is True
        clock.advance(60)
    assert store.jobs == {}
    assert outbox(otp) == [] and publisher.events == []


def test_a_permanent_refusal_is_not_retried(otp, store, publisher):
    class Refusing(OutboxProvider):
        def send(self, message):
            raise DeliveryFailed("number unknown to the carrier", retryable=False)

    worker = make_worker(
        otp, publisher, provider=Refusing(otp.store, otp.keyring, 50, 1, otp.clock)
    )
    send_code(otp)
    worker.run_once()
    assert store.jobs == {}


def test_a_code_not_delivered_before_it_expires_is_dropped(
    otp, clock, store, publisher
):
    worker = make_worker(otp, publisher, failures=1, sms_retry_base=200.0)
    send_code(otp)
    worker.run_once()
    clock.advance(300)
    worker.run_once()
    assert store.jobs == {} and outbox(otp) == [] and publisher.events == []


def test_a_copy_that_dies_mid_delivery_leaves_the_job_to_another(
    otp, clock, store, publisher
):
    worker = make_worker(otp, publisher)
    send_code(otp)
    claimed = store.claim_job(otp.now_ms(), 30_000)  # a copy claims it, then dies
    assert claimed is not None
    assert worker.run_once() is False  # the lease holds
    clock.advance(30)
    assert worker.run_once() is True
    (message,) = outbox(otp)
    assert message["attempt"] == 2


def test_the_event_is_retried_without_sending_the_sms_twice(
    otp, clock, store, publisher
):
    worker = make_worker(otp, publisher)
    publisher.failures = 1
    send_code(otp)
    worker.run_once()
    assert publisher.events == [] and len(store.jobs) == 1
    clock.advance(60)
    worker.run_once()
    assert len(publisher.events) == 1
    assert len(outbox(otp)) == 1
    assert store.jobs == {}


def test_the_outbox_keeps_a_redelivered_message_once(otp):
    provider = OutboxProvider(otp.store, otp.keyring, 50, 1000, otp.clock)
    for attempt in (1, 2):
        provider.send(SmsMessage("m1", PHONE, "text", attempt))
    assert len(outbox(otp)) == 1


def test_notices_are_delivered_like_codes(otp, publisher):
    worker = make_worker(otp, publisher)
    handlers.send_notice(
        otp,
        PHONE,
        "temporary_password",
        {"login_name": "zhang_3", "password": "Tmp#9x2Q"},
    )
    worker.run_once()
    (message,) = outbox(otp)
    assert "zhang_3" in message["text"] and "Tmp#9x2Q" in message["text"]
    assert publisher.events[0][1]["template"] == "temporary_password"
    assert "Tmp#9x2Q" not in json.dumps(publisher.events)


def test_the_log_provider_logs_the_text_only_where_told(caplog):
    message = SmsMessage("m1", PHONE, "【科技部政务服务平台】您的验证码为246810", 1)
    with caplog.at_level(logging.INFO):
        LogProvider(log, include_text=False).send(message)
    (record,) = caplog.records
    assert record.phone_masked == "13*****000"
    assert not hasattr(record, "text")
    assert "246810" not in record.getMessage() and "13800138000" not in str(
        vars(record)
    )
    caplog.clear()
    with caplog.at_level(logging.INFO):
        LogProvider(log, include_text=True).send(message)
    assert caplog.records[0].text == message.text


def test_back_off_doubles_with_jitter_and_a_ceiling():
    assert backoff_ms(1, 1.0, 300, lambda: 1.0) == 1000
    assert backoff_ms(4, 1.0, 300, lambda: 1.0) == 8000
    assert backoff_ms(4, 1.0, 300, lambda: 0.0) == 4000
    assert backoff_ms(30, 1.0, 300, lambda: 1.0) == 300_000


def test_outbox_and_dev_helpers_do_not_exist_in_production():
    otp = make_otp(
        OtpSettings(environment="production", sms_provider="log", hmac_key="s" * 40),
        FakeStore(),
    )
    from contracts.errors import NotFound

    with pytest.raises(NotFound):
        handlers.read_sms_outbox(otp, PHONE)
