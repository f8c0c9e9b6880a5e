"""What recovery's appeal use cases reach outside recovery, faked for the integration
tests: accounts and otp, reached as in the service through their typed clients over
``servicekit.calls.TimedCaller`` (a transport failure becomes ``Unavailable``), each
keeping its documented promise (accounts applies a temporary password once per
``request_id``; otp queues a notice once per ``dedupe_key``) and recording every call
it got; and ``Deps``, the use cases' collaborators on a real PostgreSQL and Redis.
"""

from __future__ import annotations

import base64
import secrets
import threading
from datetime import UTC, datetime

from contracts import errors as ce
from contracts.accounts import AccountsClient
from contracts.otp import OtpClient
from recovery import appeals
from recovery.models import outbox
from recovery.store import LookupStore, Quotas
from servicekit.calls import TimedCaller
from servicekit.crypto import PersonalDataCipher
from servicekit.outbox import add_event
from sqlalchemy.orm import Session

CIPHER = PersonalDataCipher({"k1": b"\x07" * 32}, "k1", b"\x08" * 32)
OLD_KEYS = "k1:" + base64.b64encode(b"\x07" * 32).decode()  # CIPHER's, as PII_KEYS
SETTINGS = appeals.AppealSettings(client_per_hour=10_000, subject_per_hour=10_000)
ROUNDS = 3  # each race runs this many times on fresh appeals


def clock() -> datetime:
    return datetime.now(UTC)


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
