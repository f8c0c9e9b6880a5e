"""recovery's appeal use cases against a real, migrated PostgreSQL and Redis (no
Nameko, no broker): reviewers racing on one appeal, a decision racing with its own
re-delivery, the recovery work item run twice or at once, decisions out of turn.

Only what lies outside recovery is faked: accounts and otp, reached as in the
service through their typed clients over ``servicekit.calls.TimedCaller`` (a
transport failure becomes ``Unavailable``), each keeping its documented promise
(accounts applies a temporary password once per ``request_id``; otp queues a notice
once per ``dedupe_key``) and recording every call it got.
"""

from __future__ import annotations

import base64
import io
import json
import random
import secrets
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis
import sqlalchemy as sa
from contracts import errors as ce
from contracts.accounts import AccountsClient
from contracts.otp import OtpClient
from contracts.phones import PhoneInvalid, normalize_phone
from PIL import Image
from recovery import appeal_intake, appeal_review, appeal_work, appeals
from recovery.models import (
    appeal_decisions,
    appeal_files,
    appeal_transitions,
    outbox,
    work_items,
)
from recovery.store import LookupStore, Quotas
from servicekit.calls import TimedCaller
from servicekit.crypto import PersonalDataCipher
from servicekit.outbox import add_event
from servicekit.redis import Keyspace
from servicekit.workqueue import RetryLater
from sqlalchemy.orm import Session

from tests.support.isolation import REDIS_SERVER, migrated_engine

pytestmark = pytest.mark.integration
CIPHER = PersonalDataCipher({"k1": b"\x07" * 32}, "k1", b"\x08" * 32)
OLD_KEYS = "k1:" + base64.b64encode(b"\x07" * 32).decode()  # CIPHER's, as PII_KEYS
SETTINGS = appeals.AppealSettings(client_per_hour=10_000, subject_per_hour=10_000)
ROUNDS = 3  # each race runs this many times on fresh appeals


@pytest.fixture(scope="module")
def engine():
    with migrated_engine("recovery", pool_size=10) as engine:
        yield engine


@pytest.fixture(scope="module")
def keyspace():
    client = redis.Redis.from_url(REDIS_SERVER, decode_responses=True)
    space = Keyspace(client, f"rh{secrets.token_hex(4)}:")
    yield space
    for key in client.scan_iter(match=space.prefix + "*"):
        client.delete(key)
    client.close()


def clock() -> datetime:
    return datetime.now(UTC)


# --- accounts and otp, as recovery sees them ------------------------------------------


class AccountsProxy:
    """accounts' RPCs that recovery calls. ``set_temporary_password`` keeps
    accounts' promise: applied once per ``request_id`` (``processed_events``)."""

    def __init__(
        self, login_name="zhang_wei", match=True, barrier=None, organizations=None
    ):
        self.login_name, self.match, self.barrier = login_name, match, barrier
        self.account_id = "acc_" + secrets.token_hex(6)
        # what the organisation look-up answers (accounts' candidates)
        self.organizations = (
            organizations
            if organizations is not None
            else [unit(self.account_id, self.login_name)]
            if match
            else []
        )
        self.calls: list[tuple[str, dict]] = []
        self.applied: dict[str, dict] = {}  # request_id -> what was set
        self.down = False
        self._lock = threading.Lock()

    def find_person_for_appeal(self, doc_type, doc_number, name):
        self.calls.append(("find_person_for_appeal", {"doc_number": doc_number}))
        if not self.match:
            return None
        return {
            "account_id": self.account_id,
            "login_name": self.login_name,
            "name_matches": name == "张伟",
        }

    def find_organization_for_appeal(
        self, unit_name, credit_code=None, registration_number=None
    ):
        self.calls.append(
            (
                "find_organization_for_appeal",
                {"unit_name": unit_name, "credit_code": credit_code},
            )
        )
        if not (credit_code or registration_number):  # accounts' rule
            raise ce.InvalidInput("credit_code_required", "Enter the credit code")
        return {"candidates": self.organizations, "truncated": False}

    def set_temporary_password(self, account_id, password, phone, request_id):
        kwargs = {
            "account_id": account_id,
            "password": password,
            "phone": phone,
            "request_id": request_id,
        }
        self.calls.append(("set_temporary_password", kwargs))
        if self.barrier is not None:
            self.barrier.wait(timeout=5)  # every racer is past its read
        if self.down:
            raise ConnectionError("accounts is down")  # a transport failure
        with self._lock:
            applied = request_id not in self.applied
            if applied:
                self.applied[request_id] = kwargs
        return {
            "account_id": account_id,
            "login_name": self.login_name,
            "applied": applied,
        }

    def sets(self) -> list[dict]:
        return [kw for name, kw in self.calls if name == "set_temporary_password"]


def unit(account_id: str, login_name: str, code=True, name=True) -> dict:
    """One organisation as accounts' look-up answers it (masked)."""
    return {
        "account_id": account_id,
        "login_name": login_name,
        "unit_name": "示例科技有限公司" if name else "示例科技股份有限公司",
        "code_kind": "credit_code",
        "masked_code": "913********43" if code else "915********17",
        "legal_representative": "李*",
        "masked_main_agent_phone": "13*****000",
        "registered_at": "2026-01-02T03:04:05+00:00",
        "real_name_status": "passed",
        "code_matches": code,
        "name_matches": name,
    }


class OtpProxy:
    """otp's RPCs that recovery calls. ``send_notice`` keeps otp's promise: a
    repeat of a ``dedupe_key`` queues nothing and answers the first message id."""

    def __init__(self, code_ok=True):
        self.code_ok = code_ok
        self.calls: list[tuple[str, dict]] = []
        self.queued: dict[str, dict] = {}  # message id -> the notice
        self._by_key: dict[str, str] = {}
        self.down = False
        self._lock = threading.Lock()

    def verify_sms_code(self, phone, purpose, code):
        self.calls.append(("verify_sms_code", {"phone": phone, "purpose": purpose}))
        if not self.code_ok:
            raise ce.InvalidInput("sms_code_invalid", "wrong", {"tries_left": 2})
        return {"verified": True}

    def check_captcha(self, captcha_id, answer):
        self.calls.append(("check_captcha", {"captcha_id": captcha_id}))
        if answer != "right":
            raise ce.InvalidInput("captcha_invalid", "wrong")
        return {"ok": True}

    def send_notice(self, phone, template, params, dedupe_key=None):
        notice = {"phone": phone, "template": template, "params": params}
        self.calls.append(("send_notice", {**notice, "dedupe_key": dedupe_key}))
        if self.down:
            raise ConnectionError("otp is down")
        with self._lock:
            if dedupe_key in self._by_key:
                return {"message_id": self._by_key[dedupe_key]}
            message_id = "msg_" + secrets.token_hex(6)
            self.queued[message_id] = notice
            if dedupe_key is not None:
                self._by_key[dedupe_key] = message_id
        return {"message_id": message_id}

    def notices(self) -> list[dict]:
        return [kw for name, kw in self.calls if name == "send_notice"]


class Deps:
    """Builds the ``AppealDeps`` one call gets (a fresh session, as a worker does)."""

    def __init__(self, engine, keyspace, accounts=None, otp=None, settings=SETTINGS):
        self.engine, self.keyspace, self.settings = engine, keyspace, settings
        self.accounts = accounts or AccountsProxy()
        self.otp = otp or OtpProxy()

    def __call__(self, clock=clock, emitted=None) -> appeals.AppealDeps:
        session = Session(self.engine, expire_on_commit=False)

        def emit(event):
            if emitted is not None:
                emitted(event.event_type, event.dump())
            return add_event(session, outbox, event, correlation_id="req-1")

        return appeals.AppealDeps(
            session=session,
            emit=emit,
            cipher=CIPHER,
            accounts=AccountsClient(TimedCaller(self.accounts, "accounts", 5).call),
            otp=OtpClient(TimedCaller(self.otp, "otp", 5).call),
            quotas=Quotas(self.keyspace),
            lookups=LookupStore(self.keyspace),
            settings=self.settings,
            clock=clock,
            correlation_id="req-1",
        )


@pytest.fixture
def make(engine, keyspace):
    def make(**kwargs) -> Deps:
        return Deps(engine, keyspace, **kwargs)

    return make


# --- inputs -----------------------------------------------------------------------------

_random = random.Random()


def random_phone() -> str:
    while True:
        try:
            return normalize_phone(f"+86139{_random.randrange(10**8):08d}")
        except PhoneInvalid:
            continue


def png() -> str:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (1, 2, 3)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def person(phone: str | None = None) -> dict:
    return {
        "name": "张伟",
        "identity_region": "other",
        "doc_type": "passport",
        "doc_number": "e 1234567",
        "phone": phone or random_phone(),
        "sms_code": "123456",
    }


def submit(deps: Deps, phone: str | None = None, **kwargs) -> dict:
    return appeal_intake.submit_person_appeal(
        deps(**kwargs),
        person(phone),
        {"id_front": png(), "id_back": png()},
        "198.18.0.7",
    )


def decide(deps: Deps, case_id, decision="approve", reviewer="rev_1", **kwargs):
    return appeal_review.decide_review_case(
        deps(**kwargs), case_id, decision, f"{decision}: checked", reviewer
    )


def recover(deps: Deps, appeal_id: str) -> str:
    return appeal_work.recover_account(
        deps(), appeal_id, payload(deps.engine, appeal_id)
    )


# --- what the database holds -------------------------------------------------------------


def appeal_row(engine, appeal_id: str):
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT * FROM appeals WHERE id = :a"), {"a": appeal_id}
        ).one_or_none()


def count_appeals(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM appeals")).scalar_one()


def audit(engine, appeal_id: str) -> list[tuple]:
    with engine.connect() as conn:
        return [
            (r.reviewer_id, r.decision, r.from_state, r.to_state)
            for r in conn.execute(
                sa.select(appeal_decisions)
                .where(appeal_decisions.c.appeal_id == appeal_id)
                .order_by(appeal_decisions.c.id)
            )
        ]


def work(engine, appeal_id: str) -> list[str]:
    with engine.connect() as conn:
        return sorted(
            conn.execute(
                sa.select(work_items.c.kind).where(work_items.c.ref == appeal_id)
            ).scalars()
        )


def payload(engine, appeal_id: str) -> dict:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(work_items.c.payload).where(
                work_items.c.kind == appeals.RECOVER_ACCOUNT,
                work_items.c.ref == appeal_id,
            )
        ).scalar_one()


def events(engine, appeal_id: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(outbox.c.event_type)
                .where(outbox.c.envelope["data"]["appeal_id"].astext == appeal_id)
                .order_by(outbox.c.created_at)
            ).scalars()
        )


def file_count(engine, appeal_id: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).where(appeal_files.c.appeal_id == appeal_id)
        ).scalar_one()


def waiting_for_a_lock(engine) -> int:
    """Backends of this database blocked on a lock (a racer at FOR UPDATE)."""
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()


def deciding(deps: Deps, appeal_id: str, decision: str, reviewer: str, overlaps):
    """One racing reviewer: its own session, and the clock of ``holding_the_case``."""
    return lambda: decide(
        deps,
        appeal_id,
        decision,
        reviewer,
        clock=holding_the_case(deps.engine, overlaps),
    )


def recovering(deps: Deps, appeal_id: str, item: dict):
    """One racing copy of the recovery work item, with its own session."""
    return lambda: appeal_work.recover_account(deps(), appeal_id, item)


def race(*calls) -> list:
    """Run the calls in threads released together; each result or raised error."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait(timeout=5)
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the race's outcome is the result
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def holding_the_case(engine, overlaps: list):
    """A clock for the deciding racer: it is asked the time after it locked and
    checked the case, so it waits (up to 2 s) until its rival is seen blocked on
    that lock: the rival really arrived while the decision was in flight."""

    def clock_after_rival_blocked() -> datetime:
        deadline = time.monotonic() + 2
        while not waiting_for_a_lock(engine):
            if time.monotonic() > deadline:
                overlaps.append(False)
                return datetime.now(UTC)
            time.sleep(0.01)
        overlaps.append(True)
        return datetime.now(UTC)

    return clock_after_rival_blocked


# --- submitting ---------------------------------------------------------------------------


def test_a_person_appeal_is_stored_encrypted_once_and_answers_only_its_ticket(
    engine, make
):
    deps = make()
    phone = random_phone()
    answer = submit(deps, phone)
    appeal_id = answer["appeal_id"]
    assert answer["status"] == "submitted" and appeal_id.startswith("apl_")
    row = appeal_row(engine, appeal_id)
    assert (row.kind, row.state, row.doc_type) == ("person", "submitted", "passport")
    assert (row.matched_account_id, row.name_matches) == (
        deps.accounts.account_id,
        True,
    )
    assert phone not in row.phone_enc and "1234567" not in row.doc_number_enc
    assert CIPHER.decrypt(row.phone_enc, appeals.PHONE) == phone
    assert CIPHER.decrypt(row.doc_number_enc, appeals.DOC_NUMBER) == "E1234567"
    assert row.ticket_hash == appeals.ticket_hash(answer["ticket"])
    assert answer["ticket"] not in row.ticket_enc
    assert CIPHER.decrypt(row.ticket_enc, appeals.TICKET) == answer["ticket"]
    assert file_count(engine, appeal_id) == 2
    assert events(engine, appeal_id) == ["appeal_submitted"]
    assert work(engine, appeal_id) == []
    assert deps.otp.calls == [
        ("verify_sms_code", {"phone": phone, "purpose": "appeal"})
    ]

    status = appeal_intake.get_appeal_status(deps(), appeal_id, answer["ticket"])
    assert (status["status"], status["decided_at"], status["reason"]) == (
        "submitted",
        None,
        None,
    )
    for wrong in ("wrong-ticket", None):
        with pytest.raises(ce.NotFound) as hidden:
            appeal_intake.get_appeal_status(deps(), appeal_id, wrong)
        assert hidden.value.error_code == "appeal_not_found"


def test_a_refused_sms_code_or_quota_stores_nothing(engine, make):
    before = count_appeals(engine)
    refusing = make(otp=OtpProxy(code_ok=False))
    with pytest.raises(ce.InvalidInput) as refused:
        submit(refusing)
    assert refused.value.error_code == "sms_code_invalid"
    assert refused.value.details["tries_left"] == 2
    assert refusing.accounts.calls == []  # no lookup for an unproven phone

    tight = make(
        settings=appeals.AppealSettings(client_per_hour=10_000, subject_per_hour=1)
    )
    phone = random_phone()
    submit(tight, phone)
    with pytest.raises(ce.RateLimited) as limited:
        submit(tight, phone)
    assert limited.value.error_code == "recovery_rate_limited"
    assert limited.value.details["retry_after"] > 0
    assert len(tight.otp.calls) == 1  # the second code was never spent
    assert count_appeals(engine) == before + 1


def test_an_organisation_appeal_carries_its_lookup_and_a_stale_lookup_is_refused(
    engine, make
):
    deps = make()
    with pytest.raises(ce.InvalidInput) as captcha:
        appeal_intake.start_organization_lookup(
            deps(), "示例科技有限公司", "cap_1", "no", "ip", CODE
        )
    assert captcha.value.error_code == "captcha_invalid"
    lookup = appeal_intake.start_organization_lookup(
        deps(), " 示例科技有限公司 ", "cap_1", "right", "198.18.0.9", CODE
    )
    assert lookup["expires_in"] == SETTINGS.lookup_ttl_seconds
    appeal = {
        "lookup_id": lookup["lookup_id"],
        "contact_name": "李娜",
        "contact_phone": random_phone(),
        "sms_code": "654321",
    }
    files = {"licence": png(), "id_front": png(), "id_back": png()}
    answer = appeal_intake.submit_organization_appeal(
        deps(), appeal, files, "198.18.0.9"
    )
    row = appeal_row(engine, answer["appeal_id"])
    assert (row.kind, row.matched_account_id) == (
        "organization",
        deps.accounts.account_id,
    )
    assert CIPHER.decrypt(row.unit_name_enc, appeals.UNIT_NAME) == "示例科技有限公司"
    assert CIPHER.decrypt(row.unit_code_enc, appeals.UNIT_CODE) == CODE
    assert file_count(engine, answer["appeal_id"]) == 3
    case = appeal_review.get_review_case(deps(), answer["appeal_id"])
    assert [c["account_id"] for c in case["candidates"]] == [deps.accounts.account_id]
    assert case["candidates"][0]["differences"] == [] == case["differences"]
    assert case["claimed"]["credit_code"] == "913********43"  # masked

    before = count_appeals(engine)
    with pytest.raises(ce.InvalidInput) as stale:
        appeal_intake.submit_organization_appeal(
            deps(), {**appeal, "lookup_id": "lku_gone"}, files, "198.18.0.9"
        )
    assert stale.value.error_code == "lookup_invalid"
    assert count_appeals(engine) == before


CODE = "91350100M000100Y43"
FILES = {"licence": png(), "id_front": png(), "id_back": png()}


def submit_organization(deps: Deps, unit_name="示例科技有限公司", code=CODE) -> str:
    lookup = appeal_intake.start_organization_lookup(
        deps(), unit_name, "cap_1", "right", "198.18.0.9", code
    )
    return appeal_intake.submit_organization_appeal(
        deps(),
        {
            "lookup_id": lookup["lookup_id"],
            "contact_name": "李娜",
            "contact_phone": random_phone(),
            "sms_code": "654321",
        },
        FILES,
        "198.18.0.9",
    )["appeal_id"]


def test_a_lookup_without_a_code_is_refused_before_the_captcha_is_spent(make):
    deps = make()
    with pytest.raises(ce.InvalidInput) as refused:
        appeal_intake.start_organization_lookup(
            deps(), "示例科技有限公司", "cap_1", "right", "198.18.0.9"
        )
    assert refused.value.error_code == "credit_code_required"
    assert deps.otp.calls == []  # the captcha is still good


def test_an_appeal_several_units_could_be_about_is_approved_only_for_a_named_one(
    engine, make
):
    """Issue 12, finding 7: eight organisations share the name, the appellant's
    credit code is the first's. The reviewer sees all eight with what differs,
    cannot approve without naming one (nor name another account), and the
    temporary password goes to the one named."""
    units = [unit("acc_code", "unit_by_code")] + [
        unit(f"acc_{i}", f"namesake_{i}", code=False) for i in range(7)
    ]
    deps = make(accounts=AccountsProxy(organizations=units))
    appeal_id = submit_organization(deps)
    row = appeal_row(engine, appeal_id)
    assert row.matched_account_id is None  # several: none picked
    assert "acc_code" not in row.candidates_enc  # encrypted

    case = appeal_review.get_review_case(deps(), appeal_id)
    assert case["account_id"] is None and case["matched_account"] is None
    assert [c["account_id"] for c in case["candidates"]] == [
        u["account_id"] for u in units
    ]
    assert case["candidates"][0]["differences"] == []
    assert all(c["differences"] == ["credit_code"] for c in case["candidates"][1:])
    assert case["differences"] == ["several_candidates"]
    assert {"legal_representative", "masked_main_agent_phone"} <= set(
        case["candidates"][3]
    )

    for account_id, code in (
        (None, "candidate_required"),
        ("acc_x", "candidate_invalid"),
    ):
        with pytest.raises(ce.InvalidInput) as refused:
            appeal_review.decide_review_case(
                deps(), appeal_id, "approve", "licence checked", "rev_1", account_id
            )
        assert refused.value.error_code == code
        assert refused.value.details["errors"][0]["field"] == "account_id"
    assert audit(engine, appeal_id) == [] and work(engine, appeal_id) == []
    assert appeal_row(engine, appeal_id).state == "submitted"

    emitted: list = []
    decided = appeal_review.decide_review_case(
        deps(emitted=lambda *e: emitted.append(e)),
        appeal_id,
        "approve",
        "the licence shows namesake 3's code",
        "rev_1",
        "acc_3",
    )
    assert decided["account_id"] == "acc_3"
    assert emitted[0][1]["account_id"] == "acc_3"
    assert appeal_row(engine, appeal_id).matched_login_name == "namesake_3"
    assert recover(deps, appeal_id) == "recovered"
    (set_call,) = deps.accounts.sets()
    assert set_call["account_id"] == "acc_3"
    case = appeal_review.get_review_case(deps(), appeal_id)
    assert case["matched_account"] == {
        "account_id": "acc_3",
        "login_name": "namesake_3",
    }


def test_one_candidate_is_implied_and_none_cannot_be_approved(engine, make):
    deps = make()
    appeal_id = submit_organization(deps)
    assert decide(deps, appeal_id)["account_id"] == deps.accounts.account_id

    nobody = make(accounts=AccountsProxy(organizations=[]))
    lost = submit_organization(nobody)
    assert appeal_review.get_review_case(nobody(), lost)["differences"] == [
        "no_matching_account"
    ]
    with pytest.raises(ce.Conflict) as unmatched:
        decide(nobody, lost)
    assert unmatched.value.error_code == "no_matching_account"


def test_an_organisation_appeal_stored_before_candidates_needs_its_account_named(
    engine, make
):
    """Appeals stored before migration 0005 matched the oldest unit of the name:
    the reviewer sees ``unit_code_not_given`` and must name the account."""
    deps = make()
    appeal_id = submit_organization(deps)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE appeals SET candidates_enc = NULL, unit_code_enc = NULL,"
                " unit_code_kind = NULL WHERE id = :a"
            ),
            {"a": appeal_id},
        )
    case = appeal_review.get_review_case(deps(), appeal_id)
    assert case["candidates"] == [] and case["differences"] == ["unit_code_not_given"]
    with pytest.raises(ce.InvalidInput) as refused:
        decide(deps, appeal_id)
    assert refused.value.error_code == "candidate_required"
    approved = appeal_review.decide_review_case(
        deps(), appeal_id, "approve", "checked", "rev_1", deps.accounts.account_id
    )
    assert approved["account_id"] == deps.accounts.account_id


def test_one_unit_name_is_looked_up_a_few_times_an_hour_whoever_asks(make):
    tight = make(
        settings=appeals.AppealSettings(client_per_hour=10_000, subject_per_hour=1)
    )
    name = f"示例{uuid.uuid4().hex[:6]}科技有限公司"
    appeal_intake.start_organization_lookup(
        tight(), name, "cap_1", "right", "ip1", CODE
    )
    with pytest.raises(ce.RateLimited) as limited:
        appeal_intake.start_organization_lookup(
            tight(), f" {name} ", "cap_1", "right", "ip2", CODE
        )
    assert limited.value.error_code == "recovery_rate_limited"
    assert limited.value.details["retry_after"] > 0
    assert appeal_intake.start_organization_lookup(
        tight(), name + "分公司", "cap_1", "right", "ip2", CODE
    )["lookup_id"]


# --- deciding -------------------------------------------------------------------------------


PAIRS = [("approve", "approve"), ("approve", "reject"), ("reject", "reject")]


@pytest.mark.parametrize(("first", "second"), PAIRS)
def test_two_reviewers_deciding_at_once_record_exactly_one_decision(
    engine, make, first, second
):
    deps = make()
    for _ in range(ROUNDS):
        appeal_id = submit(deps)["appeal_id"]
        overlaps: list[bool] = []
        results = race(
            deciding(deps, appeal_id, first, "rev_a", overlaps),
            deciding(deps, appeal_id, second, "rev_b", overlaps),
        )
        won = [r for r in results if isinstance(r, dict)]
        lost = [r for r in results if isinstance(r, Exception)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], ce.Conflict) and lost[0].error_code == "case_closed"
        winner = won[0]
        decision = "approve" if winner["status"] == "approved" else "reject"
        assert lost[0].details == {"case_status": winner["status"]}
        reviewer = ("rev_a", "rev_b")[results.index(winner)]
        assert audit(engine, appeal_id) == [
            (reviewer, decision, "submitted", winner["status"])
        ]
        assert [d["reviewer_id"] for d in winner["decisions"]] == [reviewer]
        follow_up = (
            appeals.RECOVER_ACCOUNT
            if decision == "approve"
            else appeals.NOTIFY_REJECTION
        )
        assert work(engine, appeal_id) == sorted([follow_up, appeals.PURGE_FILES])
        assert events(engine, appeal_id) == [
            "appeal_submitted",
            "appeal_approved" if decision == "approve" else "appeal_rejected",
        ]
        assert appeal_row(engine, appeal_id).state == winner["status"]
        assert overlaps == [True]  # the rival was blocked while one decided


def test_a_decision_racing_with_its_own_redelivery_is_applied_once(engine, make):
    deps = make()
    for _ in range(ROUNDS):
        appeal_id = submit(deps)["appeal_id"]
        overlaps: list[bool] = []
        results = race(*[deciding(deps, appeal_id, "approve", "rev_1", overlaps)] * 2)
        assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"]
        assert audit(engine, appeal_id) == [
            ("rev_1", "approve", "submitted", "approved")
        ]
        assert work(engine, appeal_id) == sorted(
            [appeals.RECOVER_ACCOUNT, appeals.PURGE_FILES]
        )
        assert events(engine, appeal_id) == ["appeal_submitted", "appeal_approved"]
        assert set(payload(engine, appeal_id)) == {"password_enc"}
        assert overlaps == [True]  # the re-delivery was blocked while one decided


def test_a_case_whose_submission_has_not_committed_cannot_be_decided(engine, make):
    deps = make()
    stored, release = threading.Event(), threading.Event()
    seen: dict = {}

    def hold_the_submission(event_type, data):
        seen.update(data)
        stored.set()  # the appeal and its files are written, not yet committed
        release.wait(timeout=10)

    submitting = threading.Thread(
        target=lambda: seen.update(answer=submit(deps, emitted=hold_the_submission))
    )
    submitting.start()
    try:
        assert stored.wait(timeout=10)
        with pytest.raises(ce.NotFound) as early:
            decide(deps, seen["appeal_id"])
        assert early.value.error_code == "case_not_found"
    finally:
        release.set()
        submitting.join(timeout=10)
    appeal_id = seen["answer"]["appeal_id"]
    assert appeal_id == seen["appeal_id"]
    assert audit(engine, appeal_id) == [] and work(engine, appeal_id) == []
    assert decide(deps, appeal_id)["status"] == "approved"  # now it is submitted


def test_a_closed_case_refuses_every_later_decision(engine, make):
    deps = make()
    approved = submit(deps)["appeal_id"]
    decided = decide(deps, approved, reviewer="rev_a")
    assert decided["status"] == "approved" and decided["decided_at"]
    for decision in ("approve", "reject"):
        with pytest.raises(ce.Conflict) as closed:
            decide(deps, approved, decision, "rev_b")
        assert closed.value.error_code == "case_closed"
        assert closed.value.details == {"case_status": "approved"}
    assert recover(deps, approved) == "recovered"
    with pytest.raises(ce.Conflict) as closed:
        decide(deps, approved, "reject", "rev_b")
    assert closed.value.details == {"case_status": "recovered"}
    assert audit(engine, approved) == [("rev_a", "approve", "submitted", "approved")]

    rejected = submit(deps)["appeal_id"]
    decide(deps, rejected, "reject", "rev_a")
    with pytest.raises(ce.Conflict) as closed:
        decide(deps, rejected, "approve", "rev_b")
    assert closed.value.details == {"case_status": "rejected"}
    assert audit(engine, rejected) == [("rev_a", "reject", "submitted", "rejected")]
    assert events(engine, rejected) == ["appeal_submitted", "appeal_rejected"]

    with pytest.raises(ce.NotFound) as unknown:
        decide(deps, "apl_" + "0" * 32)
    assert unknown.value.error_code == "case_not_found"


def transitions(engine, appeal_id: str) -> list[tuple]:
    with engine.connect() as conn:
        return [
            (r.from_state, r.to_state, r.trigger)
            for r in conn.execute(
                sa.select(appeal_transitions)
                .where(appeal_transitions.c.appeal_id == appeal_id)
                .order_by(appeal_transitions.c.id)
            )
        ]


def test_every_state_change_is_in_the_history_the_reviewer_sees(engine, make):
    deps = make()
    appeal_id = submit(deps)["appeal_id"]
    case = appeal_review.get_review_case(deps(), appeal_id)
    assert [(h["status"], h["trigger"]) for h in case["history"]] == [
        ("submitted", "appeal_submitted")
    ]
    # the platform's one mask (contracts.masking): eight stars whatever the length
    assert case["claimed"]["doc_number"] == "E12********67"
    assert case["claimed"]["phone"].count("*") == 5

    decide(deps, appeal_id, reviewer="rev_a")
    with pytest.raises(ce.Conflict):  # a refused decision changes no state ...
        decide(deps, appeal_id, "reject", "rev_b")
    assert recover(deps, appeal_id) == "recovered"
    assert recover(deps, appeal_id) == "skipped"  # ... nor does work run again
    assert transitions(engine, appeal_id) == [
        (None, "submitted", "appeal_submitted"),
        ("submitted", "approved", "reviewer_approved"),
        ("approved", "recovered", "password_sent"),
    ]
    history = appeal_review.get_review_case(deps(), appeal_id)["history"]
    assert [h["status"] for h in history] == ["submitted", "approved", "recovered"]
    assert [h["at"] for h in history] == sorted(h["at"] for h in history)
    row = appeal_row(engine, appeal_id)
    assert history[-1]["at"] == row.updated_at.isoformat()
    assert history[0]["at"] == row.created_at.isoformat() == case["submitted_at"]


def test_bad_decisions_and_an_unmatched_approval_write_nothing(engine, make):
    deps = make(accounts=AccountsProxy(match=False))
    appeal_id = submit(deps)["appeal_id"]
    assert appeal_row(engine, appeal_id).matched_account_id is None
    with pytest.raises(ce.Conflict) as unmatched:
        decide(deps, appeal_id, "approve")
    assert unmatched.value.error_code == "no_matching_account"
    for decision, reason, code in [
        ("maybe", "why", "decision_invalid"),
        ("reject", "   ", "reason_required"),
        ("reject", "x" * 1001, "reason_too_long"),
    ]:
        with pytest.raises(ce.InvalidInput) as refused:
            appeal_review.decide_review_case(
                deps(), appeal_id, decision, reason, "rev_1"
            )
        assert refused.value.error_code == code
    assert audit(engine, appeal_id) == [] and work(engine, appeal_id) == []
    assert appeal_row(engine, appeal_id).state == "submitted"
    assert decide(deps, appeal_id, "reject")["status"] == "rejected"


# --- the work after a decision ---------------------------------------------------------------


def test_recovery_run_again_sets_one_password_and_sends_one_sms(engine, make):
    deps = make()
    phone = random_phone()
    appeal_id = submit(deps, phone)["appeal_id"]
    decide(deps, appeal_id)
    item = payload(engine, appeal_id)

    deps.otp.down = True  # a crash between the two calls: the password is set ...
    with pytest.raises(RetryLater) as later:
        appeal_work.recover_account(deps(), appeal_id, item)
    assert later.value.error_code == "dependency_unavailable"
    assert appeal_row(engine, appeal_id).state == "approved"
    assert payload(engine, appeal_id) == item  # ... and still sendable
    deps.otp.down = False
    assert appeal_work.recover_account(deps(), appeal_id, item) == "recovered"
    # the lease ran out: another copy runs the item it claimed earlier
    assert appeal_work.recover_account(deps(), appeal_id, item) == "skipped"

    sets = deps.accounts.sets()
    assert len(sets) == 2 and sets[0] == sets[1]  # the same password both times
    assert sets[0]["request_id"] == appeal_id and sets[0]["phone"] == phone
    assert list(deps.accounts.applied) == [appeal_id]
    password = sets[0]["password"]
    assert [n["dedupe_key"] for n in deps.otp.notices()] == [appeal_id, appeal_id]
    assert list(deps.otp.queued.values()) == [
        {
            "phone": phone,
            "template": "temporary_password",
            "params": {"login_name": "zhang_wei", "password": password},
        }
    ]
    assert appeal_row(engine, appeal_id).state == "recovered"
    assert payload(engine, appeal_id) == {}  # the encrypted password is gone


def test_two_recoveries_at_once_set_one_password_and_send_one_sms(engine, make):
    for _ in range(ROUNDS):
        deps = make(accounts=AccountsProxy(barrier=threading.Barrier(2)))
        answer = submit(deps)
        appeal_id = answer["appeal_id"]
        decide(deps, appeal_id)
        item = payload(engine, appeal_id)
        results = race(*[recovering(deps, appeal_id, item)] * 2)
        assert sorted(results, key=str) == ["recovered", "skipped"], results
        sets = deps.accounts.sets()
        assert len(sets) == 2 and sets[0] == sets[1]
        assert list(deps.accounts.applied) == [appeal_id]
        assert len(deps.otp.queued) == 1
        (notice,) = deps.otp.queued.values()
        assert notice["params"]["password"] == sets[0]["password"]
        assert appeal_row(engine, appeal_id).state == "recovered"
        assert payload(engine, appeal_id) == {}
        status = appeal_intake.get_appeal_status(deps(), appeal_id, answer["ticket"])
        assert status["status"] == "approved"  # recovered shows as approved


def test_an_outage_at_accounts_retries_later_and_changes_nothing(engine, make):
    deps = make()
    appeal_id = submit(deps)["appeal_id"]
    decide(deps, appeal_id)
    item = payload(engine, appeal_id)
    deps.accounts.down = True
    with pytest.raises(RetryLater):
        appeal_work.recover_account(deps(), appeal_id, item)
    assert deps.otp.notices() == [] and deps.accounts.applied == {}
    assert appeal_row(engine, appeal_id).state == "approved"
    assert payload(engine, appeal_id) == item


def test_the_work_of_a_rejection_is_safe_to_run_again(engine, make):
    deps = make()
    phone = random_phone()
    answer = submit(deps, phone)
    appeal_id = answer["appeal_id"]
    decide(deps, appeal_id, "reject")
    assert appeal_work.recover_account(deps(), appeal_id, {"password_enc": "x"}) == (
        "skipped"
    )
    assert deps.accounts.sets() == []
    assert appeal_work.notify_rejection(deps(), appeal_id) == "sent"
    assert appeal_work.notify_rejection(deps(), appeal_id) == "sent"
    assert [n["dedupe_key"] for n in deps.otp.notices()] == [
        f"{appeal_id}:rejected"
    ] * 2
    assert list(deps.otp.queued.values()) == [
        {
            "phone": phone,
            "template": "appeal_rejected",
            "params": {
                "appeal_id": appeal_id,
                "ticket": answer["ticket"],
                "reason": "reject: checked",
            },
        }
    ]
    status = appeal_intake.get_appeal_status(deps(), appeal_id, answer["ticket"])
    assert (status["status"], status["reason"]) == ("rejected", "reject: checked")
    assert status["decided_at"] is not None

    assert appeal_work.purge_files(deps(), appeal_id) == 2
    assert appeal_work.purge_files(deps(), appeal_id) == 0
    assert file_count(engine, appeal_id) == 0
    with engine.connect() as conn:
        due = conn.execute(
            sa.select(work_items.c.next_attempt_at).where(
                work_items.c.kind == appeals.PURGE_FILES,
                work_items.c.ref == appeal_id,
            )
        ).scalar_one()
    retention = timedelta(seconds=SETTINGS.retention_seconds)
    assert abs(due - (clock() + retention)) < timedelta(minutes=1)

    approved = submit(deps)["appeal_id"]
    decide(deps, approved)
    assert appeal_work.notify_rejection(deps(), approved) == "skipped"


def test_an_appeal_stored_before_tickets_were_kept_is_still_told_its_rejection(
    engine, make
):
    """Appeals stored before migration 0004 have no encrypted ticket: their SMS
    still goes (with valid params), pointing to the ticket given at submission."""
    deps = make()
    appeal_id = submit(deps)["appeal_id"]
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE appeals SET ticket_enc = NULL WHERE id = :a"),
            {"a": appeal_id},
        )
    decide(deps, appeal_id, "reject")
    assert appeal_work.notify_rejection(deps(), appeal_id) == "sent"
    [notice] = deps.otp.queued.values()
    assert notice["params"] == {
        "appeal_id": appeal_id,
        "ticket": appeal_work.TICKET_GIVEN_AT_SUBMISSION,
        "reason": "reject: checked",
    }


# --- key rotation ----------------------------------------------------------------------------


def test_a_key_rotation_rewrites_the_appeals_under_the_new_key(
    keyspace, tmp_path, capsys
):
    from recovery import cli

    new_key = base64.b64encode(secrets.token_bytes(32)).decode()
    with migrated_engine("recovery") as fresh:
        appeal_id = submit(Deps(fresh, keyspace))["appeal_id"]
        unit_appeal = submit_organization(Deps(fresh, keyspace))
        before = appeal_row(fresh, appeal_id)
        unit_before = appeal_row(fresh, unit_appeal)
        config = tmp_path / "config.yml"
        config.write_text(
            f"DB_URL: {fresh.url.render_as_string(hide_password=False)}\n"
            f"ENVIRONMENT: test\nPII_KEYS: '{OLD_KEYS},k2:{new_key}'\n"
            "PII_ACTIVE_KEY_ID: k2\n"
        )

        assert cli.main(["--config", str(config), "reencrypt-personal-data"]) == 0

        report = json.loads(capsys.readouterr().out)
        assert report == {
            "appeals.name_enc": {"rewritten": 2, "unreadable": 0},
            "appeals.doc_number_enc": {"rewritten": 1, "unreadable": 0},
            "appeals.unit_name_enc": {"rewritten": 1, "unreadable": 0},
            "appeals.phone_enc": {"rewritten": 2, "unreadable": 0},
            "appeals.ticket_enc": {"rewritten": 2, "unreadable": 0},
            "appeals.unit_code_enc": {"rewritten": 1, "unreadable": 0},
            "appeals.candidates_enc": {"rewritten": 1, "unreadable": 0},
        }
        new_only = PersonalDataCipher.from_config(
            {"PII_KEYS": f"k2:{new_key}", "PII_ACTIVE_KEY_ID": "k2"}
        )
        for row_before, one in ((before, appeal_id), (unit_before, unit_appeal)):
            after = appeal_row(fresh, one)
            for column, kind in appeals.ENCRYPTED_COLUMNS:
                old = getattr(row_before, column.name)
                new = getattr(after, column.name)
                if old is not None:
                    assert new.startswith("v1.k2.")
                    assert new_only.decrypt(new, kind) == CIPHER.decrypt(old, kind)


@pytest.mark.parametrize("appeal_id", ["apl_\x00", "apl_" + "0" * 31 + "\x00", "apl_x"])
def test_an_id_no_appeal_can_have_is_not_found_without_a_query(make, appeal_id):
    """A NUL would make PostgreSQL refuse the query (a 500); such an id names none."""
    deps = make()
    for call in (
        lambda: appeal_intake.get_appeal_status(deps(), appeal_id, "ticket"),
        lambda: appeal_review.get_review_case(deps(), appeal_id),
        lambda: decide(deps, appeal_id),
    ):
        with pytest.raises(ce.NotFound):
            call()
