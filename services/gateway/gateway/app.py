"""The Falcon application: ``create_app(...)`` for tests, ``get_app()`` for gunicorn."""

from __future__ import annotations

import falcon
import redis

from gateway import errors, logs
from gateway.middleware import RequestIdMiddleware
from gateway.resources import dev, health
from gateway.rpc import RpcPool
from gateway.settings import Settings

API = "/api/v1"


def create_app(settings: Settings, rpc, redis_client) -> falcon.App:
    app = falcon.App(middleware=[RequestIdMiddleware()])
    app.req_options.strip_url_path_trailing_slash = True
    errors.register(app, settings.retry_after)

    app.add_route(f"{API}/health", health.Health())
    app.add_route(
        f"{API}/ready",
        health.Ready(rpc, redis_client, settings.ready_timeout, settings.retry_after),
    )
    app.add_route(f"{API}/openapi.json", health.OpenApi())

    if settings.dev_helpers:
        canary = dev.PipelineCanary(rpc)
        app.add_route(f"{API}/dev/pipeline-canaries", canary)
        app.add_route(f"{API}/dev/pipeline-canaries/{{canary_id}}", canary, suffix="one")
    return app


def get_app() -> falcon.App:
    """Called by gunicorn in each worker process (after fork)."""
    logs.configure()
    settings = Settings.from_env()
    rpc = RpcPool(settings.amqp_uri, settings.rpc_timeout)
    redis_client = redis.Redis.from_url(
        settings.redis_url, socket_timeout=2, socket_connect_timeout=2
    )
    return create_app(settings, rpc, redis_client)
