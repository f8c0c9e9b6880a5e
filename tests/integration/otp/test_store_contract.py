"""The same assertions against the Redis store and the fake the unit tests use.

This keeps the fake honest: every limit's exact number, the five-try burn, the
single-use captcha and the job lease behave alike in both. Needs Redis only.
"""

from __future__ import annotations

import time
import uuid

import pytest
import redis
from otp.settings import Limits
from otp.store import DAY_MS, HOUR_MS, Job, RedisStore, SendRequest
from servicekit.redis import Keyspace

from tests.support.isolation import REDIS_SERVER
from tests.unit.otp.fakes import FakeStore

pytestmark = pytest.mark.integration


@pytest.fixture(params=["fake", "redis"])
def store(request):
    if request.param == "fake":
        yield FakeStore()
        return
    client = redis.Redis.from_url(REDIS_SERVER, decode_responses=True)
    prefix = f"storetest-{uuid.uuid4().hex[:8]}:"
    yield RedisStore(Keyspace(client, prefix))
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def t0() -> int:
    # Real time, so Redis's own expiry (only a clean-up behind the logical one)
    # never runs ahead of the clock the test passes in.
    return int(time.time() * 1000)


def job(message_id: str, now: int, expires_in: int = 300_000) -> Job:
    return Job(message_id, "code", "appeal", "sealed", None, now, now + expires_in)


def request(
    now: int,
    phone: str = "p1",
    client: str = "c1",
    purpose: str = "appeal",
    limits: Limits | None = None,
    mac: str = "aa" * 32,
    bucket: str = "day1",
) -> SendRequest:
    return SendRequest(
        phone_ref=phone,
        purpose=purpose,
        client_ref=client,
        code_mac=mac,
        code_ttl_ms=300_000,
        now_ms=now,
        limits=limits or Limits(cooldown=0),
        global_reset_ms=5_000,
        global_bucket=bucket,
        job=job(uuid.uuid4().hex, now),
    )


def test_phone_hour_and_day_windows_are_exact(store, t0):
    limits = Limits(cooldown=0, phone_per_hour=2, phone_per_day=3)
    assert store.admit_code(request(t0, limits=limits)).accepted
    assert store.admit_code(request(t0 + 1000, limits=limits)).accepted
    refused = store.admit_code(request(t0 + 2000, limits=limits))
    assert not refused.accepted and refused.retry_after_ms == HOUR_MS - 2000
    assert store.admit_code(request(t0 + HOUR_MS, limits=limits)).accepted
    refused = store.admit_code(request(t0 + 2 * HOUR_MS + 1000, limits=limits))
    assert refused.retry_after_ms == DAY_MS - 2 * HOUR_MS - 1000
    assert store.admit_code(request(t0 + DAY_MS, limits=limits)).accepted


def test_cooldown_client_cap_and_global_ceiling_are_exact(store, t0):
    limits = Limits(cooldown=60, client_per_hour=2, global_per_day=3)
    assert store.admit_code(request(t0, limits=limits)).accepted
    cooling = store.admit_code(request(t0 + 59_000, limits=limits))
    assert cooling.retry_after_ms == 1000
    assert store.admit_code(request(t0 + 60_000, limits=limits)).accepted
    capped = store.admit_code(request(t0 + 61_000, phone="p2", limits=limits))
    assert capped.retry_after_ms == HOUR_MS - 61_000
    assert store.admit_code(request(t0 + 61_000, "p2", "c2", limits=limits)).accepted
    ceiling = store.admit_code(request(t0 + 62_000, "p3", "c3", limits=limits))
    assert not ceiling.accepted and ceiling.retry_after_ms == 5_000
    tomorrow = request(t0 + 62_000, "p3", "c3", limits=limits, bucket="day2")
    assert store.admit_code(tomorrow).accepted


def test_a_code_is_consumed_once_and_burns_after_its_tries(store, t0):
    store.admit_code(request(t0, mac="ab" * 32))
    assert store.verify_code("p1", "appeal", "cd" * 32, 3, t0).outcome == "wrong"
    check = store.verify_code("p1", "appeal", "ab" * 32, 3, t0)
    assert check.outcome == "accepted"
    assert store.verify_code("p1", "appeal", "ab" * 32, 3, t0).outcome == "dead"

    store.admit_code(request(t0, phone="p2", mac="ab" * 32))
    left = [
        store.verify_code("p2", "appeal", "cd" * 32, 3, t0).tries_left for _ in "xyz"
    ]
    assert left == [2, 1, 0]
    assert store.verify_code("p2", "appeal", "ab" * 32, 3, t0).outcome == "dead"


def test_a_code_expires_at_its_ttl(store, t0):
    store.admit_code(request(t0, mac="ab" * 32))
    assert (
        store.verify_code("p1", "appeal", "ab" * 32, 5, t0 + 300_000).outcome == "dead"
    )


def test_a_captcha_is_taken_once_and_expires(store, t0):
    store.put_captcha("id-1", "ab" * 32, 300_000, t0, "ACEFG")
    assert store.captcha_answer("id-1", t0) == "ACEFG"
    assert store.take_captcha("id-1", t0) == "ab" * 32
    assert store.take_captcha("id-1", t0) is None
    assert store.captcha_answer("id-1", t0) is None
    store.put_captcha("id-2", "ab" * 32, 300_000, t0, None)
    assert store.take_captcha("id-2", t0 + 300_000) is None


def test_jobs_are_leased_retried_and_finished(store, t0):
    store.admit_code(request(t0))
    first = store.claim_job(t0, 30_000)
    assert first is not None and first.attempts == 1 and not first.delivered
    assert store.claim_job(t0 + 29_999, 30_000) is None
    again = store.claim_job(t0 + 30_000, 30_000)
    assert again.message_id == first.message_id and again.attempts == 2
    store.retry_job(first.message_id, t0 + 40_000)
    assert store.claim_job(t0 + 39_999, 30_000) is None
    store.mark_delivered(first.message_id)
    third = store.claim_job(t0 + 40_000, 30_000)
    assert third.delivered and third.attempts == 3
    store.finish_job(first.message_id)
    assert store.claim_job(t0 + DAY_MS, 30_000) is None


def test_a_notice_with_a_dedupe_ref_is_queued_once(store, t0):
    first = store.enqueue_notice(job("n1", t0), "ref-1", 60_000)
    again = store.enqueue_notice(job("n2", t0), "ref-1", 60_000)
    assert first == again == "n1"
    assert store.claim_job(t0, 1000).message_id == "n1"
    assert store.claim_job(t0, 1000) is None


def test_the_outbox_keeps_newest_first_without_repeats(store):
    for n in range(4):
        store.outbox_add("p1", {"message_id": f"m{n}", "text": f"t{n}"}, 3, 60_000)
    assert not store.outbox_add("p1", {"message_id": "m3", "text": "t3"}, 3, 60_000)
    assert [m["message_id"] for m in store.outbox_read("p1")] == ["m3", "m2", "m1"]
    assert store.outbox_read("p2") == []
