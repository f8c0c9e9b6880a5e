"""Development and test helpers; not routed at all in production."""

from __future__ import annotations

import uuid

import falcon
from contracts.verification import VerificationClient

from gateway.middleware import rpc_context


class PipelineCanary:
    """Send a canary event from accounts and see whether verification received it.

    Proves the whole event path (outbox, relay, broker, consumer) on a running stack.
    """

    def __init__(self, rpc, verification: VerificationClient):
        self.rpc = rpc
        self.verification = verification

    def on_post(self, req, resp):
        answer = self.rpc.call(
            "accounts",
            "send_pipeline_canary",
            context=rpc_context(),
            canary_id=str(uuid.uuid4()),
        )
        resp.status = falcon.HTTP_202
        resp.media = answer

    def on_get_one(self, req, resp, canary_id):
        resp.media = self.verification.get_pipeline_canary(canary_id=canary_id).dump()


class Echo:
    """One RPC and nothing else: ``accounts.echo`` of the ``value`` parameter.

    The floor the benchmarks set a real endpoint against (HTTP, the middleware,
    one RPC over the broker), so they measure what our code adds to the framework.
    """

    def __init__(self, rpc):
        self.rpc = rpc

    def on_get(self, req, resp):
        value = req.get_param("value", default="")[:200]
        resp.media = {
            "value": self.rpc.call(
                "accounts", "echo", context=rpc_context(), value=value
            )
        }


def add_routes(app, ctx) -> None:
    """Only called when the environment is dev or test."""
    app.add_route(f"{ctx.api}/dev/echo", Echo(ctx.rpc))
    canary = PipelineCanary(ctx.rpc, ctx.client(VerificationClient))
    app.add_route(f"{ctx.api}/dev/pipeline-canaries", canary)
    app.add_route(
        f"{ctx.api}/dev/pipeline-canaries/{{canary_id}}", canary, suffix="one"
    )
