"""The headers every answer carries, set in this one place (issue 12, findings 3 and 6).

Nothing is cached unless its resource says so: an answer is ``Cache-Control:
no-store`` unless its resource declares ``cacheable = True`` (then it keeps the
``Cache-Control`` it sets itself, or none), and an error answer is ``no-store``
always. So a new route that returns personal data or a decision cannot be cached by
forgetting a line; only the public ones (health, the API description, the support
contact) opt out.

Every answer, error or not, also says ``nosniff``, sends no referrer and may not be
framed (``frame-ancestors 'none'`` and ``X-Frame-Options`` for older browsers). The
JSON API loads nothing, so its policy is ``default-src 'none'``; a resource that
serves a page sets its own ``Content-Security-Policy`` (web.md: ``script-src
'self'``), which is kept.
"""

from __future__ import annotations

import falcon

API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def is_cacheable(resource: object | None) -> bool:
    """Whether a resource's successful answers may be cached (it says so itself)."""
    return bool(getattr(resource, "cacheable", False))


class SecurityHeadersMiddleware:
    """Sets the security headers and ``no-store`` on every answer, after the
    responder or error handler ran (``process_response`` runs for both)."""

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: object | None,
        req_succeeded: bool,
    ) -> None:
        resp.set_headers(SECURITY_HEADERS)
        if resp.get_header("Content-Security-Policy") is None:
            resp.set_header("Content-Security-Policy", API_CONTENT_SECURITY_POLICY)
        failed = not req_succeeded or resp.status_code >= 400
        if failed or not is_cacheable(resource):
            resp.set_header("Cache-Control", "no-store")
