"""Liveness, readiness and the API description."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import falcon
from contracts import ALL_SERVICES

from gateway.bodies import Health as HealthBody
from gateway.bodies import Ping, Readiness
from gateway.middleware import rpc_context
from gateway.openapi_doc import load_openapi
from gateway.rpc import ServiceUnavailable


class Health:
    """The process is up; touches nothing else."""

    cacheable = True  # gateway/security_headers.py: public, no personal data

    def on_get(self, req, resp):
        resp.media = HealthBody(status="ok").dump()


class Ready:
    """Every service answers a ping (with its own stores up) and Redis answers."""

    def __init__(self, rpc, redis, timeout: float, retry_after: int):
        self.rpc = rpc
        self.redis = redis
        self.timeout = timeout
        self.retry_after = retry_after
        self.executor = ThreadPoolExecutor(max_workers=len(ALL_SERVICES) + 1)

    def _ping(self, service: str, context: dict) -> Ping:
        try:
            answer = self.rpc.call(
                service, "ping", context=context, timeout=self.timeout
            )
        except ServiceUnavailable as exc:
            return Ping(status="down", reason=exc.reason)
        return Ping(
            status="up" if answer.get("ok") else "degraded",
            version=answer.get("version"),
            stores=answer.get("stores", {}),
        )

    def _ping_redis(self) -> Ping:
        try:
            self.redis.ping()
            return Ping(status="up")
        except Exception as exc:  # noqa: BLE001 - any failure means "down" here
            return Ping(status="down", reason=type(exc).__name__)

    def on_get(self, req, resp):
        context = rpc_context()
        futures = {
            name: self.executor.submit(self._ping, name, context)
            for name in ALL_SERVICES
        }
        redis_future = self.executor.submit(self._ping_redis)
        services = {name: f.result() for name, f in futures.items()}
        redis = redis_future.result()
        down = [n for n, s in services.items() if s.status != "up"]
        if redis.status != "up":
            down.append("redis")
        status = "unavailable" if down else "ready"
        resp.media = Readiness(
            status=status, down=down, services=services, redis=redis
        ).dump()
        if down:
            resp.status = falcon.HTTP_503
            resp.set_header("Retry-After", str(self.retry_after))


class OpenApi:
    cacheable = True  # the published API description

    def __init__(self, include_dev: bool):
        self.body = json.dumps(load_openapi(include_dev)).encode()

    def on_get(self, req, resp):
        resp.content_type = falcon.MEDIA_JSON
        resp.data = self.body


def add_routes(app, ctx) -> None:
    app.add_route(f"{ctx.api}/health", Health())
    app.add_route(
        f"{ctx.api}/ready",
        Ready(ctx.rpc, ctx.redis, ctx.settings.ready_timeout, ctx.settings.retry_after),
    )
    app.add_route(f"{ctx.api}/openapi.json", OpenApi(ctx.settings.dev_helpers))
