"""The password reset by login name (product.md flow 6.1), as plain functions.

Three steps, in order and once: (1) login name + captcha make a flow and show the
masked reserved phone; (2) the reserved phone typed in full, if it matches, gets
an SMS code; (3) the code and a new password set the password. Every flow has the
flows' record shape ``{id, state, created_at, updated_at, expires_at, attempts}``
(Kratos' flows; times are timezone-aware UTC datetimes, epoch seconds only where
``store.ResetStore`` writes them to Redis) and lives in Redis until a while after it
expires.

An unknown login name gets a flow too: the same answers, a masked phone made from
a keyed hash of the name (so asking twice shows the same one), the same calls
(captcha, accounts' look-up, the phone comparison), and no SMS: its phone never
matches. Nothing in an answer tells whether the account exists.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from contracts.accounts import AccountsClient
from contracts.errors import (
    CaptchaRequired,
    Conflict,
    Gone,
    InvalidInput,
    NotFound,
    field_error,
    invalid_fields,
)
from contracts.events import Event
from contracts.masking import mask_phone
from contracts.otp import OtpClient
from contracts.phones import PhoneInvalid, normalize_phone
from contracts.recovery import PasswordResetCompleted

from recovery.flow import RESET, ResetState, ResetTrigger
from recovery.guards import require_captcha, require_quota

PHONE_KIND = "phone"  # the cipher's kind for phones (aad and blind index)
DECOY_KIND = "recovery_decoy_phone"
LOGIN_NAME_KIND = "recovery_login_name"
# Mainland mobile prefixes a made-up mask draws from (the mask shows two digits).
DECOY_PREFIXES = ("13", "15", "17", "18", "19")
SMS_CODE = re.compile(r"^\d{6}$")
# Compared with when there is no account, so the look-up costs the same.
NO_ACCOUNT = "00000000-0000-0000-0000-000000000000"
MAX_CAS_TRIES = 8
# blind-index kind of a spent code's proof, kept while the password is being set
CODE_PROOF_KIND = "reset_code"


@dataclass(frozen=True)
class ResetSettings:
    ttl_seconds: int = 900  # RESET_TTL_SECONDS
    max_attempts: int = 5  # RESET_MAX_ATTEMPTS
    keep_seconds: int = 3600  # RESET_KEEP_SECONDS: 410 instead of 404 this long
    client_per_hour: int = 60  # RECOVERY_CLIENT_PER_HOUR, per step
    subject_per_hour: int = 10  # RECOVERY_SUBJECT_PER_HOUR, per login name / phone


class Cipher(Protocol):
    def encrypt(self, value: str, kind: str) -> str: ...

    def decrypt(self, stored: str, kind: str) -> str: ...

    def blind_index(self, value: str, kind: str) -> str: ...


@dataclass
class ResetDeps:
    store: Any  # recovery.store.ResetStore
    quotas: Any  # recovery.store.Quotas
    accounts: AccountsClient  # over servicekit.calls.TimedCaller
    otp: OtpClient  # over servicekit.calls.TimedCaller
    cipher: Cipher
    publish: Callable[[Event], None]  # writes an event model through the outbox
    settings: ResetSettings
    clock: Callable[[], datetime]  # timezone-aware UTC
    new_id: Callable[[], str] = lambda: "rst_" + secrets.token_urlsafe(24)


def decoy_masked_phone(cipher: Cipher, login_name: str) -> str:
    """A plausible mask for a name without an account: the same every time, masked
    by the platform's one phone mask (only the shown digits are drawn)."""
    digest = cipher.blind_index(login_name.lower(), DECOY_KIND)
    prefix = DECOY_PREFIXES[int(digest[:8], 16) % len(DECOY_PREFIXES)]
    return mask_phone(f"+86{prefix}000000{int(digest[8:16], 16) % 1000:03d}")


def _client(deps: ResetDeps, step: str, client_ip: object) -> None:
    address = client_ip if isinstance(client_ip, str) and client_ip else "unknown"
    require_quota(deps.quotas, f"client:{step}", address, deps.settings.client_per_hour)


# --- step 1 ---------------------------------------------------------------------------


def start_password_reset(
    deps: ResetDeps,
    login_name: object,
    captcha_id: object,
    captcha_answer: object,
    client_ip: object,
) -> dict:
    """Make a reset flow: ``{reset_id, masked_phone, expires_in}``.

    Raises ``InvalidInput`` (``required``, ``login_name_invalid``,
    ``captcha_invalid``), ``CaptchaRequired``, ``RateLimited``
    (``recovery_rate_limited``). The same answers for a known and an unknown name.
    """
    if login_name is None or login_name == "":
        raise invalid_fields(
            [field_error("login_name", "required", "Enter a login name")]
        )
    if not isinstance(login_name, str) or len(login_name) > 64:
        raise invalid_fields(
            [field_error("login_name", "login_name_invalid", "Not a login name")]
        )
    if not (isinstance(captcha_id, str) and captcha_id) or not (
        isinstance(captcha_answer, str) and captcha_answer
    ):
        raise CaptchaRequired("captcha_required", "Solve the image captcha first")
    _client(deps, "start", client_ip)
    name_ref = deps.cipher.blind_index(login_name.lower(), LOGIN_NAME_KIND)
    require_quota(deps.quotas, "name:start", name_ref, deps.settings.subject_per_hour)
    require_captcha(deps.otp, captcha_id, captcha_answer)

    found = deps.accounts.find_account_for_recovery(login_name=login_name)
    decoy = decoy_masked_phone(deps.cipher, login_name)  # made for both: same work
    now = deps.clock()
    flow = {
        "id": deps.new_id(),
        "state": RESET.initial.value,
        "created_at": now,
        "updated_at": now,
        "expires_at": now + timedelta(seconds=deps.settings.ttl_seconds),
        "attempts": 0,
        "account_id": found.account_id if found else None,
        "masked_phone": found.masked_phone if found else decoy,
        # the user's own input, for the password rule (no password may contain it)
        "login_name": login_name,
        "phone_enc": None,
    }
    deps.store.create(flow, deps.settings.ttl_seconds + deps.settings.keep_seconds)
    return {
        "reset_id": flow["id"],
        "masked_phone": flow["masked_phone"],
        "expires_in": deps.settings.ttl_seconds,
    }


# --- loading and moving a flow ----------------------------------------------------------


def _load(deps: ResetDeps, reset_id: object, *expected: ResetState) -> tuple[str, dict]:
    """The flow, if its state is one of ``expected``: else 404, 410 or 409."""
    found = (
        deps.store.get(reset_id)
        if isinstance(reset_id, str) and 0 < len(reset_id) <= 64
        else None
    )
    if found is None:
        raise NotFound("reset_not_found", "No such password reset.")
    raw, flow = found
    if deps.clock() >= flow["expires_at"]:
        raise Gone("reset_expired", "This password reset has expired; start again.")
    if flow["state"] == ResetState.FAILED:
        raise Gone("reset_failed", "Too many wrong attempts; start again.")
    if flow["state"] not in expected:
        raise Conflict(
            "reset_step_not_allowed",
            "This step was done already or its turn has not come.",
            {"state": flow["state"]},
        )
    return raw, flow


def _move(deps: ResetDeps, reset_id: str, raw: str, flow: dict, **changes) -> dict:
    moved = {**flow, **changes, "updated_at": deps.clock()}
    if not deps.store.replace(reset_id, raw, moved):
        raise Conflict(
            "reset_step_not_allowed", "Another request moved this reset first."
        )
    return moved


def _update(deps: ResetDeps, reset_id: str, **changes) -> None:
    """Apply ``changes`` whatever else a racing request changed meanwhile (a wrong
    attempt counts one more): compare-and-set until it holds."""
    for _ in range(MAX_CAS_TRIES):
        found = deps.store.get(reset_id)
        if found is None:
            return
        raw, current = found
        moved = {**current, **changes, "updated_at": deps.clock()}
        if deps.store.replace(reset_id, raw, moved):
            return


def _spend_attempt(deps: ResetDeps, reset_id: str) -> int:
    """Count one wrong phone or code; the last one kills the flow. Attempts left."""
    for _ in range(MAX_CAS_TRIES):
        found = deps.store.get(reset_id)
        if found is None:
            return 0
        raw, flow = found
        attempts = flow["attempts"] + 1
        changes: dict = {"attempts": attempts, "updated_at": deps.clock()}
        if attempts >= deps.settings.max_attempts and flow["state"] not in RESET.final:
            changes["state"] = RESET.advance(
                flow["state"], ResetTrigger.ATTEMPTS_EXHAUSTED
            ).value
        if deps.store.replace(reset_id, raw, {**flow, **changes}):
            return max(0, deps.settings.max_attempts - attempts)
    return 0


# --- step 2 ---------------------------------------------------------------------------


def send_reset_code(
    deps: ResetDeps, reset_id: object, phone: object, client_ip: object
) -> dict:
    """Prove the reserved phone in full; if it matches, otp sends a code:
    ``{expires_in, resend_after}``.

    Raises ``NotFound`` (``reset_not_found``), ``Gone`` (``reset_expired``,
    ``reset_failed``), ``Conflict`` (``reset_step_not_allowed``),
    ``InvalidInput`` (``required``, ``phone_invalid``; ``phone_mismatch`` with
    ``attempts_left``), ``RateLimited``.
    """
    raw, flow = _load(deps, reset_id, ResetState.STARTED)
    if phone is None or phone == "":
        raise invalid_fields(
            [field_error("phone", "required", "Enter the phone in full")]
        )
    try:
        canonical = normalize_phone(phone)  # type: ignore[arg-type]
    except PhoneInvalid as exc:
        raise invalid_fields(
            [field_error("phone", "phone_invalid", str(exc))]
        ) from None
    _client(deps, "phone", client_ip)
    phone_ref = deps.cipher.blind_index(canonical, PHONE_KIND)
    require_quota(deps.quotas, "phone:phone", phone_ref, deps.settings.subject_per_hour)

    matches = deps.accounts.reserved_phone_matches(
        account_id=flow["account_id"] or NO_ACCOUNT, phone=canonical
    )
    if not (matches and flow["account_id"]):
        left = _spend_attempt(deps, reset_id)  # type: ignore[arg-type]
        raise invalid_fields(
            [field_error("phone", "phone_mismatch", "This is not the account's phone")],
            attempts_left=left,
        )
    sent = deps.otp.issue_sms_code(
        phone=canonical, purpose="password_reset", client_ip=client_ip
    )
    _move(
        deps,
        reset_id,  # type: ignore[arg-type]
        raw,
        flow,
        state=RESET.advance(flow["state"], ResetTrigger.PHONE_MATCHED).value,
        phone_enc=deps.cipher.encrypt(canonical, PHONE_KIND),
    )
    return {"expires_in": sent.expires_in, "resend_after": sent.resend_after}


# --- step 3 ---------------------------------------------------------------------------


def complete_password_reset(
    deps: ResetDeps,
    reset_id: object,
    sms_code: object,
    new_password: object,
    client_ip: object,
) -> None:
    """Spend the code and set the new password (every session ends).

    The password rule is checked first (a weak password spends neither the code
    nor an attempt). Raises ``NotFound``, ``Gone``, ``Conflict`` as step 2;
    ``InvalidInput`` (``required``, ``password_too_weak``; ``sms_code_invalid``
    or ``sms_code_expired`` with ``attempts_left``), ``RateLimited``.
    Publishes ``password_reset_completed``. When otp accepted the code but
    accounts failed to set the password (``Unavailable``), the flow waits in
    ``code_verified`` and the same code finishes it on a retry.
    """
    _, flow = _load(deps, reset_id, ResetState.CODE_SENT, ResetState.CODE_VERIFIED)
    errors = []
    if not isinstance(sms_code, str) or not SMS_CODE.fullmatch(sms_code):
        errors.append(field_error("sms_code", "sms_code_invalid", "6 digits"))
    if not isinstance(new_password, str) or not new_password:
        errors.append(field_error("new_password", "required", "Choose a password"))
    if errors:
        raise invalid_fields(errors)
    _client(deps, "complete", client_ip)
    rating = deps.accounts.rate_password(
        password=new_password, login_name=flow["login_name"]
    )
    if not rating.acceptable:
        message = "; ".join(p.message for p in rating.problems) or "Too weak"
        raise invalid_fields(
            [field_error("new_password", "password_too_weak", message)]
        )
    proof = deps.cipher.blind_index(f"{flow['id']}:{sms_code}", CODE_PROOF_KIND)
    if flow["state"] == ResetState.CODE_VERIFIED:
        # otp spent this flow's code on an earlier try whose password was not set
        # (accounts failed): the same code, and only it, finishes the flow.
        if not secrets.compare_digest(flow.get("code_proof") or "", proof):
            left = _spend_attempt(deps, reset_id)  # type: ignore[arg-type]
            raise invalid_fields(
                [field_error("sms_code", "sms_code_invalid", "The SMS code is wrong")],
                attempts_left=left,
            )
    else:
        phone = deps.cipher.decrypt(flow["phone_enc"], PHONE_KIND)
        try:
            deps.otp.verify_sms_code(
                phone=phone, purpose="password_reset", code=sms_code
            )
        except InvalidInput as exc:
            code = exc.error_code
            if code not in ("sms_code_invalid", "sms_code_expired"):
                code = "sms_code_invalid"
            left = _spend_attempt(deps, reset_id)  # type: ignore[arg-type]
            raise invalid_fields(
                [field_error("sms_code", code, "The SMS code is wrong or has expired")],
                attempts_left=left,
            ) from None
        # otp consumed the code exactly once: a racing copy of this step stops above
        _update(
            deps,
            reset_id,  # type: ignore[arg-type]
            state=RESET.advance(flow["state"], ResetTrigger.CODE_ACCEPTED).value,
            code_proof=proof,
        )
    deps.accounts.reset_password(
        account_id=flow["account_id"], new_password=new_password
    )
    _update(
        deps,
        reset_id,  # type: ignore[arg-type]
        state=RESET.advance(ResetState.CODE_VERIFIED, ResetTrigger.PASSWORD_SET).value,
        phone_enc=None,
        login_name=None,
        code_proof=None,
    )
    deps.publish(
        PasswordResetCompleted(reset_id=flow["id"], account_id=flow["account_id"])
    )
