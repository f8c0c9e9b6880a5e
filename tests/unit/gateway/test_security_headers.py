"""Issue 12 findings 3 and 6: every answer carries the security headers, every
answer that is not meant to be cached says ``no-store``, and logout really clears
the ``__Host-`` session cookie."""

from __future__ import annotations

import re

import falcon.testing
import pytest
from falcon import inspect
from gateway.app import create_app
from gateway.settings import Settings

from tests.unit.gateway.fakes import FakeRedis, FakeRpc
from tests.unit.gateway.test_verification_routes import (
    CSRF,
    case_of,
    resolve_session,
    status_of,
)

# The answers meant to be cached keep what they had before issue 12.
CACHEABLE = {
    "/api/v1/health": None,
    "/api/v1/openapi.json": None,
    "/api/v1/help/contact": "public, max-age=300",
}
REVIEWER = {"Authorization": "Bearer reviewer-token", "X-CSRF-Token": CSRF}


def app(rpc: FakeRpc) -> falcon.App:
    return create_app(Settings(environment="test"), rpc, FakeRedis())


def assert_security_headers(result: falcon.testing.Result, what: str) -> None:
    headers = result.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") == "no-referrer", what
    assert headers.get("X-Frame-Options") == "DENY", what
    assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""), what


def every_request(application: falcon.App) -> list[tuple[str, str]]:
    """Each (method, path) the app routes, path parameters filled in."""
    requests = []
    for route in inspect.inspect_routes(application):
        path = re.sub(r"\{[^}]+\}", "vrf_abc", route.path)
        for method in route.methods:
            if not method.internal:
                requests.append((method.method, path))
    return requests


@pytest.mark.parametrize("headers", [{}, REVIEWER], ids=["anonymous", "reviewer"])
def test_every_route_answers_with_the_security_headers_and_no_store(headers):
    # No service answers (only the session look-up): most routes end in a
    # problem (401, 422, 503); the local ones answer 200.
    fake = FakeRpc({("accounts", "resolve_session"): resolve_session})
    application = app(fake)
    client = falcon.testing.TestClient(application)
    requests = every_request(application)
    assert len(requests) > 30
    statuses = set()
    for method, path in requests:
        result = client.simulate_request(method, path, headers=headers, json={})
        what = f"{method} {path} -> {result.status_code}"
        statuses.add(result.status_code)
        assert_security_headers(result, what)
        if path in CACHEABLE and result.status_code < 400:
            assert result.headers.get("Cache-Control") == CACHEABLE[path], what
        else:
            assert result.headers.get("Cache-Control") == "no-store", what
    assert 200 in statuses and any(status >= 400 for status in statuses)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/nowhere"),  # 404 from the router
        ("PUT", "/api/v1/health"),  # 405 on a cacheable route
        ("GET", "/api/v1/admin/review-cases"),  # 401
    ],
)
def test_error_answers_are_never_cached(method, path):
    client = falcon.testing.TestClient(app(FakeRpc()))
    result = client.simulate_request(method, path)
    assert result.status_code >= 400
    assert result.headers["Content-Type"] == "application/problem+json"
    assert result.headers.get("Cache-Control") == "no-store"
    assert_security_headers(result, f"{method} {path}")


def _answers() -> FakeRpc:
    return FakeRpc(
        {
            ("accounts", "resolve_session"): resolve_session,
            ("accounts", "check_login_name"): lambda login_name: {
                "login_name": login_name,
                "available": False,
            },
            ("verification", "get_verification"): lambda account_id: status_of(
                account_id
            ),
            ("verification", "list_review_cases"): lambda status, limit, offset: {
                "items": [case_of("vrf_1")],
                "total": 1,
            },
            ("verification", "get_review_case"): lambda case_id, reviewer_id: case_of(
                case_id, reason_code="no_record", files=[], decisions=[]
            ),
            ("verification", "decide_review_case"): lambda **kw: case_of(
                kw["case_id"], "passed", reason_code="reviewer_approved", decisions=[]
            ),
        }
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/login-names/someone", None),
        ("GET", "/api/v1/me/verification", None),
        ("GET", "/api/v1/admin/review-cases?kind=verification", None),
        ("GET", "/api/v1/admin/review-cases/vrf_abc", None),
        (
            "POST",
            "/api/v1/admin/review-cases/vrf_abc/decision",
            {"decision": "approve", "reason": "documents match"},
        ),
    ],
)
def test_answers_with_personal_data_or_a_decision_are_not_stored(method, path, body):
    client = falcon.testing.TestClient(app(_answers()))
    path, _, query = path.partition("?")
    result = client.simulate_request(
        method, path, query_string=query, headers=REVIEWER, json=body
    )
    assert result.status_code == 200, result.text
    assert result.headers.get("Cache-Control") == "no-store"
    assert_security_headers(result, path)


def test_logout_clears_the_host_session_cookie_so_a_browser_accepts_it():
    fake = FakeRpc(
        {
            ("accounts", "resolve_session"): resolve_session,
            ("accounts", "log_out"): lambda token: {"ended": True},
            ("sso", "end_session"): lambda session_id: {"notified": 0},
        }
    )
    client = falcon.testing.TestClient(app(fake))
    result = client.simulate_delete(
        "/api/v1/sessions/current",
        headers={"Cookie": "__Host-session=person-token", "X-CSRF-Token": CSRF},
    )
    assert result.status_code == 204
    set_cookie = [
        value
        for name, value in result.headers.items()
        if name.lower() == "set-cookie" and value.startswith("__Host-session=")
    ]
    assert len(set_cookie) == 1
    attributes = [part.strip().lower() for part in set_cookie[0].split(";")]
    assert attributes[0] in ("__host-session=", '__host-session=""')
    # a __Host- cookie is only accepted (and so only cleared) with Secure and Path=/
    assert "secure" in attributes
    assert "path=/" in attributes
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "max-age=0" in attributes or any(
        a.startswith("expires=") and "1970" in a for a in attributes
    )
