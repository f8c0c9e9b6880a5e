"""The gateway with a fake RPC pool for the accounts routes' tests: a session
resolver, the test client, the calls accounts got.
"""

from __future__ import annotations

import falcon.testing
from contracts import errors as ce
from gateway.app import create_app
from gateway.settings import Settings

from tests.unit.gateway.fakes import ACCOUNT, FakeRedis, FakeRpc, login_reply

API = "/api/v1"


def session(csrf_ok=True, **overrides):
    def resolve(token, csrf_token=None):
        if token != "good-token":
            raise ce.Unauthenticated("session_invalid", "Log in again.")
        return {**ACCOUNT, **overrides, "csrf_ok": csrf_ok and csrf_token == "csrf-1"}

    return resolve


def client(answers=None, documents_per_hour=20):
    rpc = FakeRpc({("accounts", "resolve_session"): session(), **(answers or {})})
    settings = Settings(environment="test", document_checks_per_hour=documents_per_hour)
    app = create_app(settings, rpc, FakeRedis())
    return falcon.testing.TestClient(app), rpc


def calls(rpc, method):
    return [kwargs for _, m, kwargs, _ in rpc.calls if m == method]


BEARER = {"Authorization": "Bearer good-token"}


def logged_in(**kwargs):
    return login_reply("pending")
