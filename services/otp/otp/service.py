"""The otp Nameko service: entrypoints only (convert, call a handler, answer)."""

from typing import Any

import servicekit  # noqa: F401 - shared process setup (warnings, psycopg)
from contracts.base import PingResult
from contracts.errors import ServiceError
from contracts.otp import (
    Captcha,
    CaptchaWithAnswer,
    NoticeQueued,
    OutboxMessage,
    SmsCodeSent,
    SmsPurpose,
    TextCaptcha,
)
from contracts.phones import Phone
from servicekit.health import ping_result
from servicekit.providers import ObservedService
from servicekit.rpc import rpc

from otp import handlers
from otp.dependencies import OtpRuntime


class OtpService(ObservedService):
    name = "otp"

    otp = OtpRuntime()

    @rpc
    def ping(self) -> PingResult:
        return ping_result(self.name, redis=self.otp.store.ping())

    @rpc(expected_exceptions=ServiceError)
    def create_captcha(self) -> Captcha:
        return handlers.create_captcha(self.otp)

    @rpc(expected_exceptions=ServiceError)
    def create_text_captcha(self, client_ip: str) -> TextCaptcha:
        return handlers.create_text_captcha(self.otp, client_ip)

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("answer",))
    def check_captcha(self, captcha_id: str, answer: str) -> None:
        return handlers.check_captcha(self.otp, captcha_id, answer)

    @rpc(expected_exceptions=ServiceError)
    def get_captcha_answer(self, captcha_id: str) -> CaptchaWithAnswer:
        return handlers.get_captcha_answer(self.otp, captcha_id)

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("captcha_answer",))
    def send_sms_code(
        self,
        phone: Phone,
        purpose: SmsPurpose,
        captcha_id: str,
        captcha_answer: str,
        client_ip: str,
    ) -> SmsCodeSent:
        return handlers.send_sms_code(
            self.otp, phone, purpose, captcha_id, captcha_answer, client_ip
        )

    @rpc(expected_exceptions=ServiceError)
    def issue_sms_code(
        self, phone: Phone, purpose: SmsPurpose, client_ip: str
    ) -> SmsCodeSent:
        return handlers.issue_sms_code(self.otp, phone, purpose, client_ip)

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("code",))
    def verify_sms_code(self, phone: Phone, purpose: SmsPurpose, code: str) -> None:
        return handlers.verify_sms_code(self.otp, phone, purpose, code)

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("params",))
    def send_notice(
        self,
        phone: Phone,
        template: str,
        params: dict[str, Any],
        dedupe_key: str | None = None,
    ) -> NoticeQueued:
        return handlers.send_notice(self.otp, phone, template, params, dedupe_key)

    @rpc(expected_exceptions=ServiceError)
    def read_sms_outbox(self, phone: Phone) -> list[OutboxMessage]:
        return handlers.read_sms_outbox(self.otp, phone)
