"""Development and test helpers of otp: a captcha's answer, the SMS outbox.
Not routed at all in production (and otp refuses them there too)."""

from __future__ import annotations

from contracts.otp import OtpClient
from contracts.otp import SmsOutbox as OutboxView

from gateway.schemas import canonical_phone, raise_field_errors


class CaptchaAnswer:
    def __init__(self, otp: OtpClient):
        self.otp = otp

    def on_get(self, req, resp, captcha_id):
        resp.media = self.otp.get_captcha_answer(captcha_id).dump()


class SmsOutbox:
    def __init__(self, otp: OtpClient):
        self.otp = otp

    def on_get(self, req, resp):
        errors: list[dict] = []
        phone = canonical_phone(req.get_param("phone"), errors)
        raise_field_errors(errors)
        messages = self.otp.read_sms_outbox(phone)
        resp.media = OutboxView(phone=phone, messages=messages).dump()


def add_routes(app, ctx) -> None:
    """Only called when the environment is dev or test."""
    otp = ctx.client(OtpClient)
    app.add_route(f"{ctx.api}/dev/captchas/{{captcha_id}}", CaptchaAnswer(otp))
    app.add_route(f"{ctx.api}/dev/sms-outbox", SmsOutbox(otp))
