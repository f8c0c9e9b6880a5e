"""What the resources of a service's area share: its RPC, the caller's address
behind trusted proxies, the JSON body, and answers that must not be cached."""

from __future__ import annotations

import falcon

from gateway.auth import Authenticator
from gateway.client_address import client_address, trusted_networks
from gateway.middleware import rpc_context
from gateway.schemas import read_json


def no_store(resp: falcon.Response) -> None:
    resp.set_header("Cache-Control", "no-store")


class ServiceResource:
    """A resource whose work is done by ``service`` (set by each area's subclass)."""

    service = ""

    def __init__(self, ctx):
        self.rpc = ctx.rpc
        self.settings = ctx.settings
        self.auth: Authenticator = ctx.auth
        self.max_body = ctx.settings.max_body_bytes
        self.networks = trusted_networks(ctx.settings.trusted_proxies)

    def client(self, req: falcon.Request) -> str:
        return client_address(
            req.remote_addr, req.get_header("X-Forwarded-For"), self.networks
        )

    def body(self, req: falcon.Request) -> dict:
        return read_json(req, self.max_body)

    def call(self, method: str, **kwargs):
        return self.rpc.call(self.service, method, context=rpc_context(), **kwargs)
