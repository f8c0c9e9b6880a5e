"""Captchas (a picture, or a question in words) and SMS codes (the otp service)."""

from __future__ import annotations

import falcon
from contracts.models import parse
from contracts.otp import NewCaptcha, OtpClient, SmsCodeRequest

from gateway.client_address import client_address, trusted_networks
from gateway.errors import Problem
from gateway.i18n import from_accept_language
from gateway.quotas import ClientQuota, captcha_quota
from gateway.schemas import read_json

CAPTCHA_FORMS = ("image", "text")


class Captchas:
    """``POST /captchas``: an image captcha, or with ``?form=text`` the same
    kind of captcha asked as a question in words (the non-visual alternative;
    otp limits how many an address gets). Both count in the captcha quota."""

    def __init__(self, otp: OtpClient, quota: ClientQuota, trusted_proxies):
        self.otp = otp
        self.quota = quota
        self.networks = trusted_networks(trusted_proxies)

    def on_post(self, req, resp):
        form = req.get_param("form", default="image")
        if form not in CAPTCHA_FORMS:
            raise Problem(
                422,
                "captcha_form_invalid",
                "form is image or text.",
                errors=[
                    {
                        "field": "form",
                        "code": "captcha_form_invalid",
                        "message": "image or text",
                    }
                ],
            )
        address = client_address(
            req.remote_addr, req.get_header("X-Forwarded-For"), self.networks
        )
        self.quota.hit(address)
        resp.status = falcon.HTTP_201
        if form == "text":
            resp.media = self._question(req, address).dump()
            return
        captcha = self.otp.create_captcha()
        resp.media = NewCaptcha(
            captcha_id=captcha.captcha_id,
            form="image",
            image="data:image/png;base64," + captcha.image_png_base64,
            expires_in=captcha.expires_in,
        ).dump()

    def _question(self, req, address: str) -> NewCaptcha:
        captcha = self.otp.create_text_captcha(client_ip=address)
        english = from_accept_language(req.get_header("Accept-Language")) == "en"
        return NewCaptcha(
            captcha_id=captcha.captcha_id,
            form="text",
            question=captcha.question_en if english else captcha.question_zh,
            expires_in=captcha.expires_in,
        )


class SmsCodes:
    def __init__(self, otp: OtpClient, max_body_bytes: int, trusted_proxies):
        self.otp = otp
        self.max_body_bytes = max_body_bytes
        self.networks = trusted_networks(trusted_proxies)

    def on_post(self, req, resp):
        body = parse(SmsCodeRequest, read_json(req, self.max_body_bytes))
        answer = self.otp.send_sms_code(
            phone=body.phone,
            purpose=body.purpose,
            captcha_id=body.captcha_id,
            captcha_answer=body.captcha_answer,
            client_ip=client_address(
                req.remote_addr, req.get_header("X-Forwarded-For"), self.networks
            ),
        )
        resp.status = falcon.HTTP_202
        resp.media = answer.dump()


def add_routes(app, ctx) -> None:
    settings = ctx.settings
    quota = captcha_quota(ctx)
    otp = ctx.client(OtpClient)
    app.add_route(f"{ctx.api}/captchas", Captchas(otp, quota, settings.trusted_proxies))
    app.add_route(
        f"{ctx.api}/sms-codes",
        SmsCodes(otp, settings.max_body_bytes, settings.trusted_proxies),
    )
