"""Development and test helpers; not routed at all in production."""

from __future__ import annotations

import uuid

import falcon
from contracts.accounts import AccountsClient
from contracts.verification import VerificationClient

from gateway.bodies import Echo as EchoBody


class PipelineCanary:
    """Send a canary event from accounts and see whether verification received it.

    Proves the whole event path (outbox, relay, broker, consumer) on a running stack.
    """

    def __init__(self, accounts: AccountsClient, verification: VerificationClient):
        self.accounts = accounts
        self.verification = verification

    def on_post(self, req, resp):
        answer = self.accounts.send_pipeline_canary(canary_id=str(uuid.uuid4()))
        resp.status = falcon.HTTP_202
        resp.media = answer.dump()

    def on_get_one(self, req, resp, canary_id):
        resp.media = self.verification.get_pipeline_canary(canary_id=canary_id).dump()


class Echo:
    """One RPC and nothing else: ``accounts.echo`` of the ``value`` parameter.

    The floor the benchmarks set a real endpoint against (HTTP, the middleware,
    one RPC over the broker), so they measure what our code adds to the framework.
    """

    def __init__(self, accounts: AccountsClient):
        self.accounts = accounts

    def on_get(self, req, resp):
        value = req.get_param("value", default="")[:200]
        resp.media = EchoBody(value=self.accounts.echo(value=value)).dump()


def add_routes(app, ctx) -> None:
    """Only called when the environment is dev or test."""
    accounts = ctx.client(AccountsClient)
    app.add_route(f"{ctx.api}/dev/echo", Echo(accounts))
    canary = PipelineCanary(accounts, ctx.client(VerificationClient))
    app.add_route(f"{ctx.api}/dev/pipeline-canaries", canary)
    app.add_route(
        f"{ctx.api}/dev/pipeline-canaries/{{canary_id}}", canary, suffix="one"
    )
