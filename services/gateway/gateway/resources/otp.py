"""Image captchas and SMS codes (the otp service)."""

from __future__ import annotations

import falcon
from contracts.models import parse
from contracts.otp import CaptchaImage, OtpClient, SmsCodeRequest

from gateway.client_address import client_address, trusted_networks
from gateway.quotas import ClientQuota, captcha_quota
from gateway.schemas import read_json


class Captchas:
    def __init__(self, otp: OtpClient, quota: ClientQuota, trusted_proxies):
        self.otp = otp
        self.quota = quota
        self.networks = trusted_networks(trusted_proxies)

    def on_post(self, req, resp):
        self.quota.hit(
            client_address(
                req.remote_addr, req.get_header("X-Forwarded-For"), self.networks
            )
        )
        captcha = self.otp.create_captcha()
        resp.status = falcon.HTTP_201
        resp.media = CaptchaImage(
            captcha_id=captcha.captcha_id,
            image="data:image/png;base64," + captcha.image_png_base64,
            expires_in=captcha.expires_in,
        ).dump()


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
