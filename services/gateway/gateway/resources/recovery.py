"""Password recovery (the recovery service): the reset by login name.

Responders stay thin: read the body, pass the client address (recovery counts
quotas per address), answer. Every rule lives in recovery.
"""

from __future__ import annotations

import falcon

from gateway.client_address import client_address, trusted_networks
from gateway.middleware import rpc_context
from gateway.schemas import read_json


class _Recovery:
    def __init__(self, ctx):
        self.ctx = ctx
        self.networks = trusted_networks(ctx.settings.trusted_proxies)

    def client(self, req) -> str:
        return client_address(
            req.remote_addr, req.get_header("X-Forwarded-For"), self.networks
        )

    def body(self, req) -> dict:
        return read_json(req, self.ctx.settings.max_body_bytes)

    def call(self, method: str, **kwargs):
        return self.ctx.rpc.call("recovery", method, context=rpc_context(), **kwargs)


class PasswordResets(_Recovery):
    def on_post(self, req, resp):
        body = self.body(req)
        started = self.call(
            "start_password_reset",
            login_name=body.get("login_name"),
            captcha_id=body.get("captcha_id"),
            captcha_answer=body.get("captcha_answer"),
            client_ip=self.client(req),
        )
        resp.status = falcon.HTTP_201
        resp.set_header("Cache-Control", "no-store")
        resp.media = started


class PasswordResetCode(_Recovery):
    def on_post(self, req, resp, reset_id):
        body = self.body(req)
        resp.media = self.call(
            "send_reset_code",
            reset_id=reset_id,
            phone=body.get("phone"),
            client_ip=self.client(req),
        )
        resp.status = falcon.HTTP_202


class PasswordResetCompletion(_Recovery):
    def on_post(self, req, resp, reset_id):
        body = self.body(req)
        self.call(
            "complete_password_reset",
            reset_id=reset_id,
            sms_code=body.get("sms_code"),
            new_password=body.get("new_password"),
            client_ip=self.client(req),
        )
        resp.status = falcon.HTTP_204


def add_routes(app, ctx) -> None:
    base = f"{ctx.api}/recovery/password-resets"
    app.add_route(base, PasswordResets(ctx))
    app.add_route(f"{base}/{{reset_id}}/sms-code", PasswordResetCode(ctx))
    app.add_route(f"{base}/{{reset_id}}/complete", PasswordResetCompletion(ctx))
