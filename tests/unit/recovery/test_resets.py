"""The reset by login name with fakes and a fake clock: order, once, expiry,
attempts, and an unknown login name that answers like a known one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from contracts.accounts import AccountsClient
from contracts.errors import (
    CaptchaRequired,
    Conflict,
    Gone,
    InvalidInput,
    NotFound,
    RateLimited,
    Unavailable,
)
from contracts.otp import OtpClient
from recovery import resets
from recovery.flow import ResetState
from recovery.store import dump_flow, load_flow
from servicekit.crypto import PersonalDataCipher

PHONE = "+8613800138000"
OTHER = "+8613900139000"
ACCOUNT = "7f1c2d3e-0000-4000-8000-000000000001"
CLIENT = "198.51.100.7"
GOOD_PASSWORD = "N3w-Passw0rd!x"


class FakeStore:
    """ResetStore in a dict, storing the JSON the real one stores."""

    def __init__(self):
        self.data: dict[str, str] = {}

    def create(self, flow, keep_seconds):
        self.data[flow["id"]] = dump_flow(flow)

    def get(self, reset_id):
        raw = self.data.get(reset_id)
        return None if raw is None else (raw, load_flow(raw))

    def replace(self, reset_id, read, flow):
        if self.data.get(reset_id) != read:
            return False
        self.data[reset_id] = dump_flow(flow)
        return True


class FakeQuotas:
    def __init__(self):
        self.counts: dict[tuple[str, str], int] = {}
        self.limit_override: dict[str, int] = {}

    def hit(self, name, subject, limit, window):
        key = (name, subject)
        self.counts[key] = self.counts.get(key, 0) + 1
        limit = self.limit_override.get(name, limit)
        return 0 if self.counts[key] <= limit else 60


class FakeAccounts:
    def __init__(self):
        self.calls: list[str] = []
        self.passwords: dict[str, str] = {}

    def find_account_for_recovery(self, login_name):
        self.calls.append("find_account_for_recovery")
        if login_name.lower() == "alice_01":
            return {
                "account_id": ACCOUNT,
                "kind": "person",
                "masked_phone": "13*****000",
            }
        return None

    def reserved_phone_matches(self, account_id, phone):
        self.calls.append("reserved_phone_matches")
        return account_id == ACCOUNT and phone == PHONE

    def rate_password(self, password, login_name=None):
        ok = len(password) >= 10 and password != "weakweakweak"
        problems = [] if ok else [{"code": "password_too_short", "message": "weak"}]
        return {
            "strength": "strong" if ok else "weak",
            "acceptable": ok,
            "problems": problems,
        }

    def reset_password(self, account_id, new_password):
        self.passwords[account_id] = new_password
        return {"sessions_ended": 1}


class FakeOtp:
    def __init__(self):
        self.calls: list[str] = []
        self.codes: dict[str, str] = {}

    def check_captcha(self, captcha_id, answer):
        self.calls.append("check_captcha")
        if answer != "right":
            raise InvalidInput("captcha_invalid", "wrong")

    def issue_sms_code(self, phone, purpose, client_ip):
        self.calls.append("issue_sms_code")
        self.codes[phone] = "123456"
        return {"expires_in": 300, "resend_after": 60}

    def verify_sms_code(self, phone, purpose, code):
        if self.codes.get(phone) != code:
            raise InvalidInput("sms_code_invalid", "wrong", {"tries_left": 3})
        del self.codes[phone]


def typed_accounts(fake: FakeAccounts) -> AccountsClient:
    """``fake`` behind accounts' typed client, as the service reaches accounts
    (its replies read as the contract's models); its records stay readable."""
    client = AccountsClient(lambda method, kwargs: getattr(fake, method)(**kwargs))
    client.calls, client.passwords = fake.calls, fake.passwords
    return client


def typed_otp(fake: FakeOtp) -> OtpClient:
    """``fake`` behind otp's typed client, as the service reaches otp; its records
    stay readable on the client."""
    client = OtpClient(lambda method, kwargs: getattr(fake, method)(**kwargs))
    client.calls, client.codes = fake.calls, fake.codes
    return client


class Clock:
    def __init__(self):
        self.now = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def deps():
    ids = iter(f"rst_test{i}" for i in range(100))
    published: list = []
    d = resets.ResetDeps(
        store=FakeStore(),
        quotas=FakeQuotas(),
        accounts=typed_accounts(FakeAccounts()),
        otp=typed_otp(FakeOtp()),
        cipher=PersonalDataCipher.from_config({}),
        publish=lambda event: published.append((event.event_type, event.dump())),
        settings=resets.ResetSettings(max_attempts=3),
        clock=Clock(),
        new_id=lambda: next(ids),
    )
    d.published = published
    return d


def start(deps, name="alice_01"):
    return resets.start_password_reset(deps, name, "cid", "right", CLIENT)


def test_the_three_steps_set_the_password_and_publish(deps):
    started = start(deps)
    assert started == {
        "reset_id": "rst_test0",
        "masked_phone": "13*****000",
        "expires_in": 900,
    }
    sent = resets.send_reset_code(deps, "rst_test0", "13800138000", CLIENT)
    assert sent == {"expires_in": 300, "resend_after": 60}
    resets.complete_password_reset(deps, "rst_test0", "123456", GOOD_PASSWORD, CLIENT)
    assert deps.accounts.passwords == {ACCOUNT: GOOD_PASSWORD}
    assert deps.published == [
        ("password_reset_completed", {"reset_id": "rst_test0", "account_id": ACCOUNT})
    ]
    flow = deps.store.get("rst_test0")[1]
    assert flow["state"] == ResetState.COMPLETED
    assert flow["phone_enc"] is None and flow["login_name"] is None
    assert {"id", "state", "created_at", "updated_at", "expires_at", "attempts"} <= set(
        flow
    )
    assert flow["expires_at"] - flow["created_at"] == timedelta(minutes=15)
    assert flow["created_at"].tzinfo is not None


def test_accounts_failing_after_the_code_was_spent_lets_the_same_code_finish(deps):
    start(deps)
    resets.send_reset_code(deps, "rst_test0", PHONE, CLIENT)
    setting = deps.accounts.reset_password

    def down(**kwargs):
        raise Unavailable("dependency_unavailable", "accounts did not answer")

    deps.accounts.reset_password = down
    with pytest.raises(Unavailable):
        resets.complete_password_reset(
            deps, "rst_test0", "123456", GOOD_PASSWORD, CLIENT
        )
    flow = deps.store.get("rst_test0")[1]
    assert flow["state"] == ResetState.CODE_VERIFIED
    assert "123456" not in deps.store.data["rst_test0"]  # a keyed proof, not the code
    assert deps.otp.codes == {}  # otp spent it: it cannot be verified again
    assert deps.published == []

    deps.accounts.reset_password = setting
    with pytest.raises(InvalidInput) as wrong:
        resets.complete_password_reset(
            deps, "rst_test0", "654321", GOOD_PASSWORD, CLIENT
        )
    assert wrong.value.details["attempts_left"] == 2
    assert deps.accounts.passwords == {}

    resets.complete_password_reset(deps, "rst_test0", "123456", GOOD_PASSWORD, CLIENT)
    assert deps.accounts.passwords == {ACCOUNT: GOOD_PASSWORD}
    flow = deps.store.get("rst_test0")[1]
    assert flow["state"] == ResetState.COMPLETED and flow["code_proof"] is None
    assert [t for t, _ in deps.published] == ["password_reset_completed"]
    with pytest.raises(Conflict):
        resets.complete_password_reset(
            deps, "rst_test0", "123456", GOOD_PASSWORD, CLIENT
        )


def test_the_phone_is_stored_encrypted(deps):
    start(deps)
    resets.send_reset_code(deps, "rst_test0", PHONE, CLIENT)
    raw = deps.store.data["rst_test0"]
    assert "13800138000" not in raw


def test_steps_replayed_or_out_of_order_conflict(deps):
    start(deps)
    with pytest.raises(Conflict):
        resets.complete_password_reset(
            deps, "rst_test0", "123456", GOOD_PASSWORD, CLIENT
        )
    resets.send_reset_code(deps, "rst_test0", PHONE, CLIENT)
    with pytest.raises(Conflict):
        resets.send_reset_code(deps, "rst_test0", PHONE, CLIENT)
    resets.complete_password_reset(deps, "rst_test0", "123456", GOOD_PASSWORD, CLIENT)
    with pytest.raises(Conflict):
        resets.complete_password_reset(
            deps, "rst_test0", "123456", GOOD_PASSWORD, CLIENT
        )


def test_an_expired_flow_is_gone_and_an_unknown_one_not_found(deps):
    start(deps)
    deps.clock.now += timedelta(seconds=900)
    with pytest.raises(Gone) as gone:
        resets.send_reset_code(deps, "rst_test0", PHONE, CLIENT)
    assert gone.value.error_code == "reset_expired"
    with pytest.raises(NotFound):
        resets.send_reset_code(deps, "rst_nope", PHONE, CLIENT)


def test_wrong_phones_count_and_kill_the_flow(deps):
    start(deps)
    lefts = []
    for _ in range(3):
        with pytest.raises(InvalidInput) as wrong:
            resets.send_reset_code(deps, "rst_test0", OTHER, CLIENT)
        assert wrong.value.error_code == "phone_mismatch"
        lefts.append(wrong.value.details["attempts_left"])
    assert lefts == [2, 1, 0]
    with pytest.raises(Gone) as dead:
        resets.send_reset_code(deps, "rst_test0", PHONE, CLIENT)
    assert dead.value.error_code == "reset_failed"
    assert "issue_sms_code" not in deps.otp.calls


def test_wrong_codes_count_in_the_same_budget_and_weak_passwords_do_not(deps):
    start(deps)
    with pytest.raises(InvalidInput):
        resets.send_reset_code(deps, "rst_test0", OTHER, CLIENT)
    resets.send_reset_code(deps, "rst_test0", PHONE, CLIENT)
    with pytest.raises(InvalidInput) as weak:
        resets.complete_password_reset(
            deps, "rst_test0", "123456", "weakweakweak", CLIENT
        )
    assert weak.value.error_code == "password_too_weak"
    with pytest.raises(InvalidInput) as wrong:
        resets.complete_password_reset(
            deps, "rst_test0", "000000", GOOD_PASSWORD, CLIENT
        )
    assert wrong.value.error_code == "sms_code_invalid"
    assert wrong.value.details["attempts_left"] == 1
    with pytest.raises(InvalidInput) as last:
        resets.complete_password_reset(
            deps, "rst_test0", "000001", GOOD_PASSWORD, CLIENT
        )
    assert last.value.details["attempts_left"] == 0
    with pytest.raises(Gone):
        resets.complete_password_reset(
            deps, "rst_test0", "123456", GOOD_PASSWORD, CLIENT
        )
    assert deps.accounts.passwords == {}


def test_an_unknown_name_answers_the_same_does_the_same_calls_and_sends_nothing(deps):
    known = start(deps, "alice_01")
    calls_known = (list(deps.accounts.calls), list(deps.otp.calls))
    deps.accounts.calls.clear()
    deps.otp.calls.clear()
    unknown = start(deps, "nobody_99")
    assert (list(deps.accounts.calls), list(deps.otp.calls)) == calls_known
    assert set(unknown) == set(known)
    assert unknown["masked_phone"] == start(deps, "NOBODY_99")["masked_phone"]
    assert resets.decoy_masked_phone(deps.cipher, "nobody_99")[2:7] == "*****"
    deps.accounts.calls.clear()
    for phone in (PHONE, OTHER):
        with pytest.raises(InvalidInput) as wrong:
            resets.send_reset_code(deps, unknown["reset_id"], phone, CLIENT)
        assert wrong.value.error_code == "phone_mismatch"
    assert deps.accounts.calls == ["reserved_phone_matches"] * 2
    assert "issue_sms_code" not in deps.otp.calls


def test_a_wrong_captcha_and_a_missing_one(deps):
    with pytest.raises(InvalidInput) as wrong:
        resets.start_password_reset(deps, "alice_01", "cid", "wrong", CLIENT)
    assert wrong.value.error_code == "captcha_invalid"
    with pytest.raises(CaptchaRequired):
        resets.start_password_reset(deps, "alice_01", "", "", CLIENT)
    with pytest.raises(InvalidInput) as empty:
        resets.start_password_reset(deps, "", "cid", "right", CLIENT)
    assert empty.value.details["errors"][0] == {
        "field": "login_name",
        "code": "required",
        "message": "Enter a login name",
    }
    assert deps.store.data == {}


def test_quotas_per_client_and_per_name(deps):
    deps.quotas.limit_override["name:start"] = 2
    start(deps)
    start(deps)
    with pytest.raises(RateLimited) as limited:
        start(deps)
    assert limited.value.details["retry_after"] == 60
    start(deps, "someone_else")
    deps.quotas.limit_override["client:phone"] = 0
    with pytest.raises(RateLimited):
        resets.send_reset_code(deps, "rst_test0", PHONE, CLIENT)
