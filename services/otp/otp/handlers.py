"""otp's use cases, as plain functions (no Nameko import).

Each takes an :class:`Otp` holding its collaborators: settings, the store, the
keyring, a clock and a source of randomness (both injected, so tests control
time and codes), and the captcha renderer.
"""

from __future__ import annotations

import base64
import math
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts.errors import InvalidInput, NotFound, RateLimited, field_error
from contracts.phones import PhoneInvalid, normalize_phone

from otp import captchas, codes, quotas, templates, text_captchas
from otp.keyring import Keyring
from otp.settings import OtpSettings
from otp.store import Job, OtpStore, SendRequest


class Randomness:
    """Codes, captcha texts and ids from the operating system's CSPRNG."""

    def code(self, digits: int) -> str:
        return f"{secrets.randbelow(10**digits):0{digits}d}"

    def captcha_text(self, alphabet: str, length: int) -> str:
        return "".join(secrets.choice(alphabet) for _ in range(length))

    def number(self, below: int) -> int:
        return secrets.randbelow(below)

    def token(self) -> str:
        return secrets.token_urlsafe(18)

    def message_id(self) -> str:
        return uuid.uuid4().hex


@dataclass
class Otp:
    settings: OtpSettings
    store: OtpStore
    keyring: Keyring
    clock: Callable[[], float]
    random: Randomness
    render_captcha: Callable[[str], bytes]
    correlation_id: str | None = None
    # servicekit.ratelimit.FixedWindows of otp's own quotas (text captchas)
    windows: Any = None

    def now_ms(self) -> int:
        return int(self.clock() * 1000)


# --- validation ------------------------------------------------------------------


def _invalid(errors: list[dict]) -> InvalidInput:
    """One InvalidInput for every field error; its code is the first one's."""
    first = errors[0]
    return InvalidInput(first["code"], first["message"], {"errors": errors})


def _phone(raw: object, errors: list[dict]) -> str | None:
    try:
        return normalize_phone(raw)  # type: ignore[arg-type]
    except PhoneInvalid as exc:
        errors.append(field_error("phone", "phone_invalid", str(exc)))
        return None


def _purpose(purpose: object, errors: list[dict]) -> None:
    if not codes.valid_purpose(purpose):
        errors.append(
            field_error(
                "purpose", "purpose_invalid", "purpose must be one of the SMS purposes"
            )
        )


def _phone_and_purpose(phone: object, purpose: object) -> str:
    errors: list[dict] = []
    canonical = _phone(phone, errors)
    _purpose(purpose, errors)
    if errors:
        raise _invalid(errors)
    return canonical  # type: ignore[return-value]


def _captcha_invalid() -> InvalidInput:
    message = "the captcha is missing, wrong or expired; ask for a new one"
    return _invalid([field_error("captcha_answer", "captcha_invalid", message)])


# --- captchas --------------------------------------------------------------------


def create_captcha(otp: Otp) -> dict:
    """A new captcha: its id, the PNG (base64) and how long it is valid."""
    answer = otp.random.captcha_text(captchas.ALPHABET, otp.settings.captcha_length)
    png = otp.render_captcha(answer)
    return {
        "captcha_id": _keep_captcha(otp, answer),
        "image_png_base64": base64.b64encode(png).decode("ascii"),
        "expires_in": otp.settings.captcha_ttl,
    }


def create_text_captcha(otp: Otp, client_ip: object) -> dict:
    """A new captcha asked in words (the non-visual alternative), within the
    text form's quota per client address; checked like any captcha."""
    settings = otp.settings
    text_captchas.admit(otp.windows, client_ip, settings.text_captchas_per_hour)
    zh, en, answer = text_captchas.random_question(otp.random.number)
    return {
        "captcha_id": _keep_captcha(otp, answer),
        "question_zh": zh,
        "question_en": en,
        "expires_in": settings.captcha_ttl,
    }


def _keep_captcha(otp: Otp, answer: str) -> str:
    """Store a new captcha's answer (its keyed hash) under a new id."""
    settings = otp.settings
    captcha_id = otp.random.token()
    otp.store.put_captcha(
        captcha_id,
        otp.keyring.captcha_mac(captcha_id, answer),
        settings.captcha_ttl * 1000,
        otp.now_ms(),
        dev_answer=answer if settings.dev_helpers else None,
    )
    return captcha_id


def check_captcha(otp: Otp, captcha_id: object, answer: object) -> None:
    """Spend the captcha whatever the answer; raise ``captcha_invalid`` unless the
    answer was right and in time."""
    if not captchas.valid_id(captcha_id):
        raise _captcha_invalid()
    stored = otp.store.take_captcha(captcha_id, otp.now_ms())  # type: ignore[arg-type]
    normal = captchas.normal_answer(answer)
    if stored is None or normal is None:
        raise _captcha_invalid()
    offered = otp.keyring.captcha_mac(captcha_id, normal)  # type: ignore[arg-type]
    if not secrets.compare_digest(stored, offered):
        raise _captcha_invalid()


def get_captcha_answer(otp: Otp, captcha_id: object) -> dict:
    if not otp.settings.dev_helpers or not captchas.valid_id(captcha_id):
        raise NotFound("captcha_not_found", "no such captcha")
    answer = otp.store.captcha_answer(captcha_id, otp.now_ms())  # type: ignore[arg-type]
    if answer is None:
        raise NotFound("captcha_not_found", "no such captcha")
    return {"captcha_id": captcha_id, "answer": answer}


# --- SMS codes -------------------------------------------------------------------


def _seal(otp: Otp, message_id: str, phone: str, text: str) -> str:
    return otp.keyring.seal({"phone": phone, "text": text}, message_id)


def send_sms_code(
    otp: Otp,
    phone: object,
    purpose: object,
    captcha_id: object,
    captcha_answer: object,
    client_ip: object,
) -> dict:
    """Validate, spend the captcha, then admit the send against every quota and
    queue it (one atomic store step). Returns ``{expires_in, resend_after}``."""
    canonical = _phone_and_purpose(phone, purpose)
    check_captcha(otp, captcha_id, captcha_answer)
    return _admit_code(otp, canonical, purpose, client_ip)  # type: ignore[arg-type]


def issue_sms_code(otp: Otp, phone: object, purpose: object, client_ip: object) -> dict:
    """``send_sms_code`` without the captcha, for trusted service callers that
    already made the user solve one (recovery's reset step 1). Every send quota
    applies as for ``send_sms_code``. Returns ``{expires_in, resend_after}``."""
    canonical = _phone_and_purpose(phone, purpose)
    return _admit_code(otp, canonical, purpose, client_ip)  # type: ignore[arg-type]


def _admit_code(otp: Otp, canonical: str, purpose: str, client_ip: object) -> dict:
    """Admit one code send against every quota and queue it (one store step)."""
    settings = otp.settings
    now = otp.now_ms()
    code = otp.random.code(codes.CODE_LENGTH)
    message_id = otp.random.message_id()
    text = templates.code_text(code, purpose, settings.code_ttl)  # type: ignore[arg-type]
    bucket, reset_ms = quotas.global_day(now)
    admission = otp.store.admit_code(
        SendRequest(
            phone_ref=otp.keyring.phone_ref(canonical),
            purpose=purpose,  # type: ignore[arg-type]
            client_ref=otp.keyring.client_ref(quotas.client_bucket(client_ip)),
            code_mac=otp.keyring.code_mac(purpose, canonical, code),  # type: ignore[arg-type]
            code_ttl_ms=settings.code_ttl * 1000,
            now_ms=now,
            limits=settings.limits,
            global_reset_ms=reset_ms,
            global_bucket=bucket,
            job=Job(
                message_id=message_id,
                kind="code",
                topic=purpose,  # type: ignore[arg-type]
                sealed=_seal(otp, message_id, canonical, text),
                correlation_id=otp.correlation_id,
                created_ms=now,
                expires_ms=now + settings.code_ttl * 1000,
            ),
        )
    )
    if not admission.accepted:
        raise RateLimited(
            "sms_rate_limited",
            "too many codes asked for; try again later",
            {"retry_after": max(1, math.ceil(admission.retry_after_ms / 1000))},
        )
    return {"expires_in": settings.code_ttl, "resend_after": settings.limits.cooldown}


def verify_sms_code(otp: Otp, phone: object, purpose: object, code: object) -> None:
    """Accept and consume the code exactly once, or raise ``sms_code_invalid``
    (with ``tries_left``) or ``sms_code_expired``."""
    canonical = _phone_and_purpose(phone, purpose)
    check = otp.store.verify_code(
        otp.keyring.phone_ref(canonical),
        purpose,  # type: ignore[arg-type]
        otp.keyring.code_mac(purpose, canonical, codes.submitted_code(code)),  # type: ignore[arg-type]
        otp.settings.code_max_tries,
        otp.now_ms(),
    )
    if check.outcome == "accepted":
        return
    if check.outcome == "wrong":
        raise InvalidInput(
            "sms_code_invalid",
            "the SMS code is wrong",
            {
                "tries_left": check.tries_left,
                "errors": [
                    field_error("sms_code", "sms_code_invalid", "the SMS code is wrong")
                ],
            },
        )
    message = "the SMS code has expired or was used; ask for a new one"
    raise InvalidInput(
        "sms_code_expired",
        message,
        {"errors": [field_error("sms_code", "sms_code_expired", message)]},
    )


# --- notices and the outbox --------------------------------------------------------


def send_notice(
    otp: Otp, phone: object, template: object, params: object, dedupe_key: object = None
) -> dict:
    """Queue a templated notice; durable once this returns. Notices are sent by
    other services after a decision (not by anonymous callers), so no send quota
    applies to them: a temporary password must not be held back by a flood."""
    errors: list[dict] = []
    canonical = _phone(phone, errors)
    try:
        text = templates.notice_text(template, params)
    except templates.TemplateUnknown as exc:
        errors.append(field_error("template", "template_unknown", str(exc)))
    except templates.ParamsInvalid as exc:
        errors.append(field_error("params", "params_invalid", str(exc)))
    if dedupe_key is not None and (
        not isinstance(dedupe_key, str) or not 1 <= len(dedupe_key) <= 200
    ):
        errors.append(
            field_error("dedupe_key", "dedupe_key_invalid", "1 to 200 characters")
        )
    if errors:
        raise _invalid(errors)

    settings = otp.settings
    now = otp.now_ms()
    message_id = otp.random.message_id()
    job = Job(
        message_id=message_id,
        kind="notice",
        topic=template,  # type: ignore[arg-type]
        sealed=_seal(otp, message_id, canonical, text),  # type: ignore[arg-type]
        correlation_id=otp.correlation_id,
        created_ms=now,
        expires_ms=now + settings.sms_notice_max_age * 1000,
    )
    queued_id = otp.store.enqueue_notice(
        job,
        otp.keyring.notice_ref(dedupe_key) if dedupe_key else None,  # type: ignore[arg-type]
        settings.sms_notice_max_age * 1000,
    )
    return {"message_id": queued_id}


def read_sms_outbox(otp: Otp, phone: object) -> list[dict]:
    if not otp.settings.dev_helpers or otp.settings.sms_provider != "outbox":
        raise NotFound("outbox_not_found", "the SMS outbox exists only in dev and test")
    errors: list[dict] = []
    canonical = _phone(phone, errors)
    if errors:
        raise _invalid(errors)
    return otp.store.outbox_read(otp.keyring.phone_ref(canonical))  # type: ignore[arg-type]
