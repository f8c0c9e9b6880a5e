"""The Falcon application: ``create_app(...)`` for tests, ``get_app()`` for gunicorn."""

from __future__ import annotations

from dataclasses import dataclass

import falcon
import redis

from gateway import errors, logs, tracing
from gateway.auth import Authenticator
from gateway.cas import routes as cas
from gateway.clients import C, service_client
from gateway.metrics import MetricsMiddleware
from gateway.middleware import RequestIdMiddleware
from gateway.oidc import routes as oidc
from gateway.resources import (
    accounts,
    dev,
    dev_otp,
    health,
    otp,
    recovery,
    review,
    support,
    verification,
)
from gateway.rpc import RpcPool
from gateway.security_headers import SecurityHeadersMiddleware
from gateway.settings import Settings
from gateway.web import routes as web_routes

API = "/api/v1"

# Each area module exposes add_routes(app, ctx); add a new area here.
AREAS = (health, support, otp, accounts, verification, review, recovery, oidc, cas)
DEV_AREAS = (dev, dev_otp)


@dataclass(frozen=True)
class AppContext:
    """The collaborators every resource may take."""

    settings: Settings
    rpc: object
    redis: object
    api: str = API
    # Session resolution any area reuses: ctx.auth.require_account(req).
    auth: Authenticator | None = None

    def client(self, client_class: type[C], timeout: float | None = None) -> C:
        """A service's typed client over this app's RPC pool (``timeout``: the
        seconds its calls may take, when not the pool's)."""
        return service_client(self.rpc, client_class, timeout)


def create_app(settings: Settings, rpc, redis_client) -> falcon.App:
    app = falcon.App(
        middleware=[
            RequestIdMiddleware(),
            SecurityHeadersMiddleware(),
            tracing.TracingMiddleware(),
            MetricsMiddleware(),
        ]
    )
    app.req_options.strip_url_path_trailing_slash = True
    ctx = AppContext(settings, rpc, redis_client, auth=Authenticator(rpc))
    for area in AREAS:
        area.add_routes(app, ctx)
    # the pages (issue 13): every page route in gateway/web/routes.py
    pages = web_routes.add_routes(app, ctx)
    errors.register(app, settings.retry_after, web_routes.error_pages(pages))
    if settings.dev_helpers:
        for area in DEV_AREAS:
            area.add_routes(app, ctx)
    return app


def get_app() -> falcon.App:
    """Called by gunicorn in each worker process (after fork)."""
    logs.configure()
    tracing.configure("gateway")
    settings = Settings.from_env()
    rpc = RpcPool(settings.amqp_uri, settings.rpc_timeout)
    redis_client = redis.Redis.from_url(
        settings.redis_url, socket_timeout=2, socket_connect_timeout=2
    )
    return create_app(settings, rpc, redis_client)
