"""Development and test helpers of otp: a captcha's answer, the SMS outbox.
Not routed at all in production (and otp refuses them there too)."""

from __future__ import annotations

from gateway.middleware import rpc_context
from gateway.resources.base import no_store
from gateway.schemas import canonical_phone, raise_field_errors


class CaptchaAnswer:
    def __init__(self, rpc):
        self.rpc = rpc

    def on_get(self, req, resp, captcha_id):
        no_store(resp)
        resp.media = self.rpc.call(
            "otp", "get_captcha_answer", context=rpc_context(), captcha_id=captcha_id
        )


class SmsOutbox:
    def __init__(self, rpc):
        self.rpc = rpc

    def on_get(self, req, resp):
        errors: list[dict] = []
        phone = canonical_phone(req.get_param("phone"), errors)
        raise_field_errors(errors)
        messages = self.rpc.call(
            "otp", "read_sms_outbox", context=rpc_context(), phone=phone
        )
        no_store(resp)
        resp.media = {"phone": phone, "messages": messages}


def add_routes(app, ctx) -> None:
    """Only called when the environment is dev or test."""
    app.add_route(f"{ctx.api}/dev/captchas/{{captcha_id}}", CaptchaAnswer(ctx.rpc))
    app.add_route(f"{ctx.api}/dev/sms-outbox", SmsOutbox(ctx.rpc))
