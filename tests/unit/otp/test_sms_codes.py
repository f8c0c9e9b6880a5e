"""Sending and verifying SMS codes: every limit bites at exactly its number."""

from __future__ import annotations

import pytest
from contracts.errors import InvalidInput, RateLimited
from otp import handlers
from otp.settings import Limits

PHONE = "+8613800138000"
OTHER_PHONE = "+8613900139000"
CLIENT = "198.51.100.7"


def send(otp, phone=PHONE, purpose="register_person", client=CLIENT, code="123456"):
    otp.random.codes.append(code)
    captcha = handlers.create_captcha(otp)
    answer = handlers.get_captcha_answer(otp, captcha["captcha_id"])["answer"]
    return handlers.send_sms_code(
        otp, phone, purpose, captcha["captcha_id"], answer, client
    )


def verify(otp, code, phone=PHONE, purpose="register_person"):
    return handlers.verify_sms_code(otp, phone, purpose, code)


def rate_limited(otp, **kwargs) -> int:
    with pytest.raises(RateLimited) as error:
        send(otp, **kwargs)
    assert error.value.error_code == "sms_rate_limited"
    return error.value.details["retry_after"]


def with_limits(otp, **limits):
    otp.settings = otp.settings.replace(limits=Limits(**limits))
    return otp


# --- sending ------------------------------------------------------------------------


def test_a_send_answers_validity_and_resend_delay_and_queues_the_sms(otp, store):
    assert send(otp, code="654321") == {"expires_in": 300, "resend_after": 60}
    (job,) = store.jobs.values()
    assert job.kind == "code" and job.topic == "register_person"
    assert job.correlation_id == "corr-test-0001"
    assert "654321" not in job.sealed and "13800138000" not in job.sealed
    (record,) = store.codes.values()
    assert "654321" not in str(record)  # only the keyed HMAC is kept


def test_a_real_code_is_six_digits():
    codes = {handlers.Randomness().code(6) for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150


@pytest.mark.parametrize(
    "phone, purpose, codes",
    [
        ("12345", "register_person", ["phone_invalid"]),
        ("+8601012345678", "register_person", ["phone_invalid"]),  # a landline
        (None, "register_person", ["phone_invalid"]),
        (PHONE, "lottery", ["purpose_invalid"]),
        ("x", None, ["phone_invalid", "purpose_invalid"]),
    ],
)
def test_bad_phone_or_purpose_is_refused_before_the_captcha_is_spent(
    otp, store, phone, purpose, codes
):
    captcha = handlers.create_captcha(otp)
    with pytest.raises(InvalidInput) as error:
        handlers.send_sms_code(
            otp, phone, purpose, captcha["captcha_id"], "ACEFG", CLIENT
        )
    assert error.value.error_code == codes[0]
    assert [e["code"] for e in error.value.details["errors"]] == codes
    assert captcha["captcha_id"] in store.captchas
    assert store.jobs == {}


def test_a_wrong_captcha_sends_nothing(otp, store):
    captcha = handlers.create_captcha(otp)
    with pytest.raises(InvalidInput) as error:
        handlers.send_sms_code(
            otp, PHONE, "register_person", captcha["captcha_id"], "WRONG", CLIENT
        )
    assert error.value.error_code == "captcha_invalid"
    assert store.jobs == {} and store.codes == {}


def test_other_regions_send_in_e164_and_mainland_without_prefix(otp, store):
    send(otp, phone="+85251234567")
    send(otp, phone="13700137000")
    assert len(store.jobs) == 2


def test_the_resend_cooldown_is_exactly_60_seconds_per_phone_and_purpose(otp, clock):
    send(otp)
    clock.advance(59)
    assert rate_limited(otp) == 1
    send(otp, purpose="password_reset")  # another purpose is not cooling down
    send(otp, phone=OTHER_PHONE)  # nor another phone
    clock.advance(1)
    send(otp)


def test_five_sends_per_phone_per_hour_then_429_until_the_first_leaves(otp, clock):
    for _ in range(5):
        send(otp)
        clock.advance(60)
    # t = 300 s: the sixth send waits for the first (t = 0) to leave the hour
    assert rate_limited(otp) == 3600 - 300
    clock.advance(3600 - 300 - 1)
    assert rate_limited(otp) == 1
    clock.advance(1)
    send(otp)


def test_ten_sends_per_phone_per_day(otp, clock):
    for _ in range(10):
        send(otp)
        clock.advance(15 * 60)  # four per hour: the hourly limit never bites
    assert rate_limited(otp) == 86_400 - 10 * 15 * 60
    clock.advance(86_400 - 10 * 15 * 60)
    send(otp)


def test_the_per_client_cap_counts_sends_to_every_phone(otp, clock):
    with_limits(otp, client_per_hour=3)
    for n in range(3):
        send(otp, phone=f"+86138001380{n:02d}")
        clock.advance(10)
    assert rate_limited(otp, phone="+8613800138099") == 3600 - 30
    send(otp, phone="+8613800138099", client="198.51.100.8")  # another address


def test_one_ipv6_64_is_one_client(otp):
    with_limits(otp, client_per_hour=2)
    send(otp, phone="+8613800138001", client="2001:db8:1:2::1")
    send(otp, phone="+8613800138002", client="2001:db8:1:2:ffff::9")
    rate_limited(otp, phone="+8613800138003", client="2001:db8:1:2::3")
    send(otp, phone="+8613800138003", client="2001:db8:1:3::1")


def test_callers_without_a_usable_address_share_one_bucket(otp):
    with_limits(otp, client_per_hour=2)
    send(otp, phone="+8613800138001", client="")
    send(otp, phone="+8613800138002", client="not an address")
    rate_limited(otp, phone="+8613800138003", client=None)


def test_the_global_ceiling_holds_until_midnight_in_china(otp, clock):
    with_limits(otp, global_per_day=3)
    # 2025-10-09 08:00 in China = 00:00 UTC
    clock.now = 1_759_968_000.0
    for n in range(3):
        send(otp, phone=f"+86138001380{n:02d}", client=f"198.51.100.{n}")
    assert rate_limited(otp, phone="+8613800138099", client="203.0.113.1") == 16 * 3600
    clock.advance(16 * 3600)
    send(otp, phone="+8613800138099", client="203.0.113.1")


def test_a_refused_send_records_nothing(otp, clock, store):
    with_limits(otp, client_per_hour=1)
    send(otp, phone="+8613800138001")
    rate_limited(otp, phone=PHONE)
    # the refused send neither started a cooldown nor used PHONE's quota
    send(otp, phone=PHONE, client="203.0.113.9")
    assert len(store.jobs) == 2


def test_retry_after_is_the_longest_of_every_limit_that_bites(otp, clock):
    with_limits(otp, cooldown=60, phone_per_hour=1)
    send(otp)
    clock.advance(10)
    assert rate_limited(otp) == 3590  # the hour (3590 s) outlasts the cooldown (50 s)


# --- verifying -----------------------------------------------------------------------


def test_the_right_code_works_exactly_once(otp):
    send(otp, code="246810")
    verify(otp, "246810")
    with pytest.raises(InvalidInput) as error:
        verify(otp, "246810")
    assert error.value.error_code == "sms_code_expired"


def test_five_wrong_tries_burn_the_code(otp):
    send(otp, code="246810")
    left = []
    for _ in range(5):
        with pytest.raises(InvalidInput) as error:
            verify(otp, "000000")
        assert error.value.error_code == "sms_code_invalid"
        left.append(error.value.details["tries_left"])
    assert left == [4, 3, 2, 1, 0]
    with pytest.raises(InvalidInput) as error:
        verify(otp, "246810")
    assert error.value.error_code == "sms_code_expired"


def test_four_wrong_tries_leave_the_code_usable(otp):
    send(otp, code="246810")
    for _ in range(4):
        with pytest.raises(InvalidInput):
            verify(otp, "000000")
    verify(otp, "246810")


@pytest.mark.parametrize("typed", ["12345", "abcdef", "", None, "2468100"])
def test_a_malformed_code_spends_a_try(otp, typed):
    send(otp, code="246810")
    with pytest.raises(InvalidInput) as error:
        verify(otp, typed)
    assert error.value.details["tries_left"] == 4


@pytest.mark.parametrize("age, accepted", [(299.999, True), (300, False)])
def test_a_code_lives_exactly_300_seconds(otp, clock, age, accepted):
    send(otp, code="246810")
    clock.advance(age)
    if accepted:
        verify(otp, "246810")
    else:
        with pytest.raises(InvalidInput) as error:
            verify(otp, "246810")
        assert error.value.error_code == "sms_code_expired"


def test_a_code_is_bound_to_its_phone_and_purpose(otp):
    send(otp, code="246810")
    for phone, purpose in [(OTHER_PHONE, "register_person"), (PHONE, "appeal")]:
        with pytest.raises(InvalidInput) as error:
            verify(otp, "246810", phone=phone, purpose=purpose)
        assert error.value.error_code == "sms_code_expired"
    verify(otp, "246810", phone="138 0013 8000")  # the same phone, written otherwise


def test_a_new_code_replaces_the_previous_one(otp, clock):
    send(otp, code="111111")
    clock.advance(60)
    send(otp, code="222222")
    with pytest.raises(InvalidInput) as error:
        verify(otp, "111111")
    assert error.value.error_code == "sms_code_invalid"
    verify(otp, "222222")


def test_a_code_never_sent_is_expired_and_says_nothing_more(otp):
    with pytest.raises(InvalidInput) as error:
        verify(otp, "123456")
    assert error.value.error_code == "sms_code_expired"
    assert "tries_left" not in error.value.details


def test_verify_rejects_a_bad_phone_or_purpose(otp):
    with pytest.raises(InvalidInput) as error:
        verify(otp, "123456", phone="12")
    assert error.value.error_code == "phone_invalid"
    with pytest.raises(InvalidInput) as error:
        verify(otp, "123456", purpose="nope")
    assert error.value.error_code == "purpose_invalid"


def test_a_redis_restart_kills_codes_in_flight_and_never_revives_a_spent_one(
    otp, store
):
    send(otp, code="246810")
    send(otp, phone=OTHER_PHONE, code="135790")
    verify(otp, "246810")
    # Redis restarts from a snapshot taken before the code was spent
    store.codes[("register_person", otp.keyring.phone_ref(PHONE))] = {
        "mac": otp.keyring.code_mac("register_person", PHONE, "246810"),
        "tries": 0,
        "exp": otp.now_ms() + 100_000,
        "epoch": store.epoch,
    }
    store.restart(keep_data=True)
    for phone, code in [(PHONE, "246810"), (OTHER_PHONE, "135790")]:
        with pytest.raises(InvalidInput) as error:
            verify(otp, code, phone=phone)
        assert error.value.error_code == "sms_code_expired"
    # users ask again, and it works
    send(otp, phone=OTHER_PHONE, purpose="appeal", code="975310")
    verify(otp, "975310", phone=OTHER_PHONE, purpose="appeal")


# --- issue_sms_code: the captcha-less send for trusted services (recovery) -----------


def test_issue_sends_a_code_without_a_captcha_that_verifies(otp, store):
    otp.random.codes.append("246810")
    sent = handlers.issue_sms_code(otp, PHONE, "password_reset", CLIENT)
    assert sent == {"expires_in": 300, "resend_after": 60}
    (job,) = store.jobs.values()
    assert job.kind == "code" and job.topic == "password_reset"
    handlers.verify_sms_code(otp, PHONE, "password_reset", "246810")


def test_issue_obeys_the_same_cooldown_as_a_captcha_send(otp):
    otp.random.codes.append("246810")
    handlers.issue_sms_code(otp, PHONE, "password_reset", CLIENT)
    otp.random.codes.append("135790")
    with pytest.raises(RateLimited) as error:
        handlers.issue_sms_code(otp, PHONE, "password_reset", CLIENT)
    assert error.value.error_code == "sms_rate_limited"


def test_issue_validates_phone_and_purpose(otp):
    with pytest.raises(InvalidInput) as error:
        handlers.issue_sms_code(otp, "12345", "lottery", CLIENT)
    codes = [e["code"] for e in error.value.details["errors"]]
    assert codes == ["phone_invalid", "purpose_invalid"]
