"""Image captchas and SMS codes (the otp service)."""

from __future__ import annotations

import falcon
from contracts.errors import field_error
from contracts.otp import SMS_PURPOSES

from gateway.client_address import client_address, trusted_networks
from gateway.middleware import rpc_context
from gateway.quotas import ClientQuota
from gateway.resources.base import no_store
from gateway.schemas import canonical_phone, raise_field_errors, read_json


class Captchas:
    def __init__(self, rpc, quota: ClientQuota, trusted_proxies: tuple[str, ...]):
        self.rpc = rpc
        self.quota = quota
        self.networks = trusted_networks(trusted_proxies)

    def on_post(self, req, resp):
        self.quota.hit(
            client_address(
                req.remote_addr, req.get_header("X-Forwarded-For"), self.networks
            )
        )
        captcha = self.rpc.call("otp", "create_captcha", context=rpc_context())
        resp.status = falcon.HTTP_201
        no_store(resp)
        resp.media = {
            "captcha_id": captcha["captcha_id"],
            "image": "data:image/png;base64," + captcha["image_png_base64"],
            "expires_in": captcha["expires_in"],
        }


class SmsCodes:
    def __init__(self, rpc, max_body_bytes: int, trusted_proxies: tuple[str, ...]):
        self.rpc = rpc
        self.max_body_bytes = max_body_bytes
        self.networks = trusted_networks(trusted_proxies)

    def on_post(self, req, resp):
        body = read_json(req, self.max_body_bytes)
        errors: list[dict] = []
        phone = canonical_phone(body.get("phone"), errors)
        purpose = body.get("purpose")
        if purpose not in SMS_PURPOSES:
            errors.append(
                field_error(
                    "purpose",
                    "purpose_invalid",
                    f"purpose must be one of {', '.join(SMS_PURPOSES)}",
                )
            )
        captcha_id, captcha_answer = body.get("captcha_id"), body.get("captcha_answer")
        if not isinstance(captcha_id, str) or not isinstance(captcha_answer, str):
            errors.append(
                field_error(
                    "captcha_answer",
                    "captcha_invalid",
                    "captcha_id and captcha_answer are required",
                )
            )
        raise_field_errors(errors)
        answer = self.rpc.call(
            "otp",
            "send_sms_code",
            context=rpc_context(),
            phone=phone,
            purpose=purpose,
            captcha_id=captcha_id,
            captcha_answer=captcha_answer,
            client_ip=client_address(
                req.remote_addr, req.get_header("X-Forwarded-For"), self.networks
            ),
        )
        resp.status = falcon.HTTP_202
        resp.media = {
            "expires_in": answer["expires_in"],
            "resend_after": answer["resend_after"],
        }


def add_routes(app, ctx) -> None:
    settings = ctx.settings
    quota = ClientQuota(
        ctx.redis,
        settings.redis_key_prefix,
        "captcha",
        settings.captchas_per_minute,
        window=60,
    )
    app.add_route(
        f"{ctx.api}/captchas", Captchas(ctx.rpc, quota, settings.trusted_proxies)
    )
    app.add_route(
        f"{ctx.api}/sms-codes",
        SmsCodes(ctx.rpc, ctx.settings.max_body_bytes, ctx.settings.trusted_proxies),
    )
