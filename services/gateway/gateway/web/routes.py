"""Every page route, added here in one place, and the HTML error pages.

``add_routes(app, ctx)`` is called once from ``gateway.app``; ``error_page`` is
given to ``gateway.errors.register`` so a request for a page gets its error (404,
429 with when to retry, 503...) as a page in the frame, and the API keeps
problem+json.
"""

from __future__ import annotations

import falcon

from gateway import error_messages
from gateway.i18n import translate_error
from gateway.web import frame
from gateway.web.pages import (
    agents,
    appeals,
    captcha,
    home,
    login,
    materials,
    me,
    recovery,
    registration,
    review,
    sso,
    unlock,
)
from gateway.web.pages import help as help_pages

# Each flow's module exposes add_routes(app, ctx, frame); add a new flow here.
FLOWS = (
    home,
    help_pages,
    registration,
    login,
    me,
    recovery,
    agents,
    sso,
    unlock,
    materials,
    appeals,
    review,
    captcha,
)
# the API, the OpenID Provider (its own error shapes: OAuth 2 JSON or redirects),
# CAS ticket validation (CAS XML or JSON) and static files; /cas/login and
# /cas/logout are pages (their errors shown in the frame)
NOT_PAGES = (
    "/api/",
    "/oidc/",
    "/.well-known/",
    "/metrics",
    "/static/",
    "/cas/p3/",
    "/cas/serviceValidate",
)


def is_page_path(path: str) -> bool:
    """A page of the portal (not the API, metrics or a static file)."""
    return not any(path.startswith(prefix) for prefix in NOT_PAGES)


def is_page_request(req: falcon.Request) -> bool:
    return is_page_path(req.path)


def add_routes(app: falcon.App, ctx) -> frame.Frame:
    shared = frame.Frame(ctx)
    app.add_static_route("/static", str(frame.STATIC))
    for flow in FLOWS:
        flow.add_routes(app, ctx, shared)
    return shared


def error_pages(shared: frame.Frame):
    """``page_errors(req, resp, problem) -> bool`` for ``gateway.errors``."""

    def page_errors(req, resp, problem) -> bool:
        if not is_page_request(req):
            return False
        page = shared.begin(req, resp)
        for name, value in problem.headers.items():
            resp.set_header(name, value)
        retry_after = problem.headers.get("Retry-After")
        # what went wrong, when the catalogue words it for people
        detail = ""
        if problem.code in error_messages.CODES and problem.detail:
            detail = translate_error(page.locale, problem.code, problem.detail)
        shared.render(
            page,
            "error.html",
            status=falcon.code_to_http_status(problem.status),
            problem=problem,
            retry_after=retry_after,
            detail=detail,
        )
        return True

    return page_errors
