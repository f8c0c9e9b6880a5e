"""What the resources of a service's area share: the caller's address behind
trusted proxies and the JSON body. A resource calls its service through the typed
client it takes from ``ctx.client``. No answer is cached unless its resource says
so (``cacheable = True``, see gateway/security_headers.py)."""

from __future__ import annotations

import falcon

from gateway.auth import Authenticator
from gateway.client_address import client_address, trusted_networks
from gateway.schemas import read_json


class ServiceResource:
    """A resource whose work is done by one service, through its typed client."""

    def __init__(self, ctx):
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
