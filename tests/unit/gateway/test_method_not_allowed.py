"""Every route answers a method it does not serve with 405, problem+json and an
``Allow`` header naming exactly the methods it does serve (RFC 9110, 15.5.6)."""

from __future__ import annotations

import json
import re

import falcon.inspect
import falcon.testing
import pytest
from gateway.app import create_app
from gateway.settings import Settings
from gateway.web.routes import is_page_path

from tests.unit.gateway.fakes import FakeRedis, FakeRpc

# Methods a client may send that no route of the gateway is expected to serve all of.
PROBED = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "TRACE")

_APPS: dict[str, falcon.App] = {}


def _app(environment: str) -> falcon.App:
    """One app per environment, built once: no test here changes its state."""
    if environment not in _APPS:
        _APPS[environment] = create_app(
            Settings(environment=environment), FakeRpc(), FakeRedis()
        )
    return _APPS[environment]


def _routes(environment: str) -> list[tuple[str, frozenset[str]]]:
    """(path template, methods served) for every route of the app."""
    return [
        (
            route.path,
            frozenset(m.method for m in route.methods if not m.internal),
        )
        for route in falcon.inspect.inspect_routes(_app(environment))
    ]


def _concrete(template: str) -> str:
    """A request path for a template: each ``{field}`` becomes a plain value."""
    return re.sub(r"\{[^}]+\}", "x1", template)


ROUTES = [
    (environment, path, served)
    for environment in ("test", "production")
    for path, served in _routes(environment)
]


@pytest.mark.parametrize(
    ("environment", "path", "served"),
    ROUTES,
    ids=[f"{env}:{path}" for env, path, _ in ROUTES],
)
def test_an_unserved_method_is_405_with_allow(environment, path, served):
    client = falcon.testing.TestClient(_app(environment))
    expected_allow = {*served, "OPTIONS"}
    unserved = [method for method in PROBED if method not in served]
    assert unserved, f"{path} serves every probed method"
    for method in unserved:
        result = client.simulate_request(method, _concrete(path))
        assert result.status_code == 405, (method, path)
        allow = {m.strip() for m in result.headers["Allow"].split(",")}
        assert allow == expected_allow, (method, path)
        if method != "HEAD" and is_page_path(path):  # a page: an error page
            assert result.headers["Content-Type"] == "text/html; charset=utf-8"
            assert "method_not_allowed" in result.text
        elif method != "HEAD":
            assert result.headers["Content-Type"] == "application/problem+json"
            body = json.loads(result.text)
            assert body["status"] == 405
            assert body["code"] == "method_not_allowed"


def test_every_route_is_walked():
    """The walk covers the dev helpers too, and production leaves them out."""
    test_paths = {path for path, _ in _routes("test")}
    production_paths = {path for path, _ in _routes("production")}
    assert "/api/v1/dev/echo" in test_paths
    assert production_paths < test_paths
    assert len(test_paths) >= 37  # /metrics moved to its own port
