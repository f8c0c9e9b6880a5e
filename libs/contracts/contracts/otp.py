"""Contract of the ``otp`` service: image captchas, SMS codes, SMS delivery.

Phones are passed in the canonical form of ``contracts.phones.normalize_phone``
(E.164, e.g. ``+8613812345678``); the service re-validates them.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import Field

from contracts.client import ServiceClient
from contracts.events import Event
from contracts.models import ErrorCode, Model
from contracts.phones import Phone

SmsPurpose = Literal[
    "register_person",
    "register_organization",
    "password_reset",
    "appeal",
    "change_phone",
    "login_unlock",
]
SMS_PURPOSES: tuple[str, ...] = get_args(SmsPurpose)

NOTICE_TEMPLATES = {
    "temporary_password": ("login_name", "password"),
    "appeal_rejected": ("appeal_id", "ticket", "reason"),
    "password_changed": ("login_name",),
}


class Captcha(Model):
    captcha_id: str
    image_png_base64: str
    expires_in: int


class TextCaptcha(Model):
    """A captcha asked in words, the non-visual alternative to the picture: a
    short sum (e.g. 七加五等于几？ / What is seven plus five?) a screen reader can
    read, answered in digits through the same ``captcha_id`` and check as an
    image captcha (single use, any check spends it). Easier for a program than
    the picture, so asking for one has a quota of its own per client address."""

    captcha_id: str
    question_zh: str = Field(description="The question in Chinese.")
    question_en: str = Field(description="The same question in English.")
    expires_in: int


class CaptchaWithAnswer(Model):
    captcha_id: str
    answer: str


class SmsCodeSent(Model):
    """The code is queued for delivery."""

    expires_in: int = Field(description="Seconds the code stays valid.")
    resend_after: int = Field(
        description="Seconds before another code can be asked for this phone and "
        "purpose."
    )


class NoticeQueued(Model):
    message_id: str


class OutboxMessage(Model):
    """A message the dev/test ``outbox`` SMS provider kept (its text in clear)."""

    message_id: str
    phone: str
    text: str
    attempt: int
    sent_at: str


# --- HTTP bodies the gateway reads and answers (and documents) --------------------------


class SmsOutbox(Model):
    """``GET /dev/sms-outbox`` (dev/test): the messages at most the last 50, kept
    for a day."""

    phone: str = Field(description="The phone in E.164.")
    messages: list[OutboxMessage]


class NewCaptcha(Model):
    """``POST /captchas``: the captcha as the browser shows it, a picture or
    (``?form=text``) a question in words, the non-visual alternative."""

    captcha_id: str
    form: Literal["image", "text"] = Field(
        "image", description="`image`: read the picture; `text`: answer the question."
    )
    image: str | None = Field(
        None,
        description="The picture as a data URL, `data:image/png;base64,...` "
        "(form `image` only).",
        pattern="^data:image/png;base64,",
    )
    question: str | None = Field(
        None,
        description="A short sum in words, answered in digits, in Chinese unless "
        "`Accept-Language` prefers English (form `text` only).",
        examples=["七加五等于几？请用阿拉伯数字回答。"],
    )
    expires_in: int = Field(
        description="Seconds the captcha stays valid (300 by default)."
    )


class SmsCodeRequest(Model):
    """``POST /sms-codes``: a code for a phone and purpose, behind an image captcha."""

    first_error_on_top: ClassVar[bool] = True

    phone: Annotated[
        Phone,
        ErrorCode("phone_invalid", when_missing=True),
        Field(
            description="A mobile number; mainland numbers may omit +86, other "
            "regions in E.164.",
            examples=["13800138000", "+85251234567"],
        ),
    ]
    purpose: Annotated[
        SmsPurpose,
        ErrorCode("purpose_invalid", when_missing=True),
        Field(examples=["register_person"]),
    ]
    captcha_id: Annotated[
        str,
        ErrorCode("captcha_invalid", when_missing=True),
        Field(
            pattern="^[A-Za-z0-9_-]{16,64}$",
            description="The `captcha_id` of `POST /captchas`.",
            examples=["c1d2e3f4g5h6i7j8"],
        ),
    ]
    captcha_answer: Annotated[
        str,
        ErrorCode("captcha_invalid", when_missing=True),
        Field(
            min_length=1,
            max_length=64,
            description="The characters in the picture (case and spaces do not matter), "
            "or the number answering a text captcha's question.",
            examples=["K7PQ"],
        ),
    ]


# --- events -------------------------------------------------------------------------------


class SmsSent(Event):
    """The carrier took an SMS. Never the phone number, the code or the text."""

    source: ClassVar[str] = "otp"
    event_type: ClassVar[str] = "sms_sent"
    subscribers: ClassVar[str] = (
        "the carrier-cost and delivery dashboards of the operations team (metrics "
        "pipeline); no service of the platform acts on it"
    )

    message_id: str
    kind: Literal["code", "notice"]
    purpose: str | None = None
    template: str | None = None
    provider: str
    attempts: int


class OtpClient(ServiceClient):
    name = "otp"
    events = (SmsSent,)

    def create_captcha(self) -> Captcha:
        """A new image captcha, valid ``expires_in`` seconds, single use."""
        return self._call("create_captcha", locals())

    def create_text_captcha(self, client_ip: str) -> TextCaptcha:
        """A new captcha asked as a question in words (the non-visual
        alternative), checked like an image captcha by ``check_captcha`` and
        every method taking ``captcha_id``. Raises ``RateLimited``
        (``text_captcha_rate_limited``, ``details["retry_after"]``) beyond
        ``OTP_TEXT_CAPTCHAS_PER_HOUR`` for ``client_ip`` (IPv6 per /64)."""
        return self._call("create_text_captcha", locals())

    def check_captcha(self, captcha_id: str, answer: str) -> None:
        """Consume the captcha (right or wrong, any check spends it).

        Raises ``InvalidInput`` (``captcha_invalid``) when missing, wrong or expired.
        """
        return self._call("check_captcha", locals())

    def get_captcha_answer(self, captcha_id: str) -> CaptchaWithAnswer:
        """Dev/test only: ``{captcha_id, answer}``. Raises ``NotFound`` otherwise."""
        return self._call("get_captcha_answer", locals())

    def send_sms_code(
        self,
        phone: Phone,
        purpose: SmsPurpose,
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
        return self._call("send_sms_code", locals())

    def issue_sms_code(
        self, phone: Phone, purpose: SmsPurpose, client_ip: str
    ) -> SmsCodeSent:
        """``send_sms_code`` without a captcha, for trusted service callers only.

        The recovery service calls it in the reset flow's second step: the user
        solved a captcha in the first step, which recovery checked. The gateway
        never exposes it. Every limit of ``send_sms_code`` applies (``client_ip``
        is the end user's address). Raises ``InvalidInput`` (``phone_invalid``,
        ``purpose_invalid``) or ``RateLimited`` (``sms_rate_limited``).
        Emits ``sms_sent`` once the carrier took it.
        """
        return self._call("issue_sms_code", locals())

    def verify_sms_code(self, phone: Phone, purpose: SmsPurpose, code: str) -> None:
        """Accept and consume the code, exactly once.

        Every call spends one of the code's tries (``OTP_CODE_MAX_TRIES``, 5); the
        try that uses the last one up burns the code. Sending a new code for the
        same phone and purpose replaces the previous one.
        Raises ``InvalidInput`` with ``sms_code_invalid`` (``details["tries_left"]``)
        or ``sms_code_expired`` (expired, spent, burnt by wrong tries or never sent),
        ``phone_invalid`` or ``purpose_invalid``.
        """
        return self._call("verify_sms_code", locals())

    def send_notice(
        self,
        phone: Phone,
        template: str,
        params: dict[str, Any],
        dedupe_key: str | None = None,
    ) -> NoticeQueued:
        """Queue a templated notice (e.g. ``temporary_password``) to ``phone``.

        Durable: once this returns, the SMS is sent even if otp restarts.
        Templates (``NOTICE_TEMPLATES``) and their exact ``params``:
        ``temporary_password {login_name, password}``,
        ``appeal_rejected {appeal_id, ticket, reason}`` (the status look-up's two
        keys), ``password_changed {login_name}``;
        each value 1-64 printable characters.
        ``dedupe_key`` (optional, added by otp): a caller that may call twice for
        one fact (an event redelivered, a retried RPC) passes an id of that fact;
        a repeat within ``SMS_NOTICE_MAX_AGE`` queues nothing and returns the
        first ``message_id``.
        Raises ``InvalidInput`` (``phone_invalid``, ``template_unknown``,
        ``params_invalid``, ``dedupe_key_invalid``).
        """
        return self._call("send_notice", locals())

    def read_sms_outbox(self, phone: Phone) -> list[OutboxMessage]:
        """Dev/test only: the messages the ``outbox`` provider kept for ``phone``,
        newest first. Raises ``NotFound`` in production."""
        return self._call("read_sms_outbox", locals())
