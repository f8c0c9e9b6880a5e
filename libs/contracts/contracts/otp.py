"""Contract of the ``otp`` service: image captchas, SMS codes, SMS delivery.

Phones are passed in the canonical form of ``contracts.phones.normalize_phone``
(E.164, e.g. ``+8613812345678``); the service re-validates them.
"""

from __future__ import annotations

from typing import TypedDict

from contracts.base import ServiceContract

SMS_PURPOSES = (
    "register_person",
    "register_organization",
    "password_reset",
    "appeal",
    "change_phone",
)


NOTICE_TEMPLATES = {
    "temporary_password": ("login_name", "password"),
    "appeal_rejected": ("ticket", "reason"),
    "password_changed": ("login_name",),
}


class Captcha(TypedDict):
    captcha_id: str
    image_png_base64: str
    expires_in: int


class SmsCodeSent(TypedDict):
    expires_in: int
    resend_after: int


class NoticeQueued(TypedDict):
    message_id: str


class OtpContract(ServiceContract):
    name = "otp"
    # sms_sent {message_id, kind: "code" | "notice", purpose | template, provider,
    # attempts}: never the phone number, the code or the text.
    events = ("sms_sent",)

    def create_captcha(self) -> Captcha:
        """A new image captcha, valid ``expires_in`` seconds, single use."""
        raise NotImplementedError

    def check_captcha(self, captcha_id: str, answer: str) -> None:
        """Consume the captcha (right or wrong, any check spends it).

        Raises ``InvalidInput`` (``captcha_invalid``) when missing, wrong or expired.
        """
        raise NotImplementedError

    def get_captcha_answer(self, captcha_id: str) -> dict:
        """Dev/test only: ``{captcha_id, answer}``. Raises ``NotFound`` otherwise."""
        raise NotImplementedError

    def send_sms_code(
        self,
        phone: str,
        purpose: str,
        captcha_id: str,
        captcha_answer: str,
        client_ip: str,
    ) -> SmsCodeSent:
        """Check the captcha, then queue a 6-digit code for ``phone`` + ``purpose``.

        The phone and purpose are checked before the captcha is spent. Limits:
        a cooldown per phone and purpose, sends per phone per hour and per day,
        sends per client address per hour (IPv6 counted per /64), a global daily
        ceiling; a refused send records nothing. ``client_ip`` is the end user's
        address as the gateway saw it (an unusable value shares one bucket).
        Raises ``InvalidInput`` (``phone_invalid``, ``purpose_invalid``,
        ``captcha_invalid``) or ``RateLimited`` (``sms_rate_limited``, with
        ``details["retry_after"]``, the seconds until every limit that bit allows
        a send). Emits ``sms_sent`` once the carrier took it.
        """
        raise NotImplementedError

    def issue_sms_code(self, phone: str, purpose: str, client_ip: str) -> SmsCodeSent:
        """``send_sms_code`` without a captcha, for trusted service callers only.

        The recovery service calls it in the reset flow's second step: the user
        solved a captcha in the first step, which recovery checked. The gateway
        never exposes it. Every limit of ``send_sms_code`` applies (``client_ip``
        is the end user's address). Raises ``InvalidInput`` (``phone_invalid``,
        ``purpose_invalid``) or ``RateLimited`` (``sms_rate_limited``).
        Emits ``sms_sent`` once the carrier took it.
        """
        raise NotImplementedError

    def verify_sms_code(self, phone: str, purpose: str, code: str) -> None:
        """Accept and consume the code, exactly once.

        Every call spends one of the code's tries (``OTP_CODE_MAX_TRIES``, 5); the
        try that uses the last one up burns the code. Sending a new code for the
        same phone and purpose replaces the previous one.
        Raises ``InvalidInput`` with ``sms_code_invalid`` (``details["tries_left"]``)
        or ``sms_code_expired`` (expired, spent, burnt by wrong tries or never sent),
        ``phone_invalid`` or ``purpose_invalid``.
        """
        raise NotImplementedError

    def send_notice(
        self, phone: str, template: str, params: dict, dedupe_key: str | None = None
    ) -> NoticeQueued:
        """Queue a templated notice (e.g. ``temporary_password``) to ``phone``.

        Durable: once this returns, the SMS is sent even if otp restarts.
        Templates (``NOTICE_TEMPLATES``) and their exact ``params``:
        ``temporary_password {login_name, password}``,
        ``appeal_rejected {ticket, reason}``, ``password_changed {login_name}``;
        each value 1-64 printable characters.
        ``dedupe_key`` (optional, added by otp): a caller that may call twice for
        one fact (an event redelivered, a retried RPC) passes an id of that fact;
        a repeat within ``SMS_NOTICE_MAX_AGE`` queues nothing and returns the
        first ``message_id``.
        Raises ``InvalidInput`` (``phone_invalid``, ``template_unknown``,
        ``params_invalid``, ``dedupe_key_invalid``).
        """
        raise NotImplementedError

    def read_sms_outbox(self, phone: str) -> list[dict]:
        """Dev/test only: the messages the ``outbox`` provider kept for ``phone``,
        newest first. Raises ``NotFound`` in production."""
        raise NotImplementedError
