"""Every error the gateway answers, as application/problem+json (RFC 9457).

One table maps each contract error class to its HTTP status; the error's own
``code`` travels to the client unchanged. All handlers are registered here.
"""

from __future__ import annotations

import json
import logging

import falcon
from contracts import errors as ce
from gunicorn.http import errors as http_errors

from gateway.i18n import DEFAULT_API_LOCALE, N_, from_accept_language, localize_problem
from gateway.middleware import current_request_id
from gateway.rpc import ServiceUnavailable

_log = logging.getLogger("gateway.errors")

STATUS_BY_ERROR: dict[type[ce.ServiceError], int] = {
    ce.InvalidInput: 422,
    ce.NotFound: 404,
    ce.Conflict: 409,
    ce.Gone: 410,
    ce.Unauthenticated: 401,
    ce.Forbidden: 403,
    ce.Locked: 423,
    ce.CaptchaRequired: 428,
    ce.RateLimited: 429,
    ce.Unavailable: 503,
}

TITLES = {
    400: N_("Bad request"),
    401: N_("Not authenticated"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    410: N_("Gone"),
    411: N_("Length required"),
    413: N_("Request body too large"),
    414: N_("URI too long"),
    415: N_("Unsupported media type"),
    417: N_("Expectation failed"),
    422: N_("Invalid input"),
    423: N_("Locked"),
    428: N_("Captcha required"),
    429: N_("Too many requests"),
    431: N_("Request header fields too large"),
    500: N_("Internal error"),
    501: N_("Not implemented"),
    503: N_("Service unavailable"),
}


class Problem(Exception):
    """An error the gateway itself decides (bad JSON, unknown route...)."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str = "",
        headers: dict[str, str] | None = None,
        **extra,
    ):
        super().__init__(detail or code)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def status_for(error: ce.ServiceError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_document(
    problem: Problem, request_id: str | None, locale: str = DEFAULT_API_LOCALE
) -> bytes:
    """The body of every error answer: the Falcon handlers below and the gunicorn
    worker (``gateway/worker.py``, errors raised before the application runs);
    its messages in ``locale`` (gateway.i18n; ``code`` never translated)."""
    body = {
        "type": "about:blank",
        "title": TITLES.get(problem.status, "Error"),
        "status": problem.status,
        "code": problem.code,
        "request_id": request_id,
    }
    if problem.detail:
        body["detail"] = problem.detail
    body.update(problem.extra)
    body = localize_problem(body, locale)
    return json.dumps(body, ensure_ascii=False).encode()


def render(
    resp: falcon.Response, problem: Problem, req: falcon.Request | None = None
) -> None:
    """``problem`` as problem+json, in the language the request's
    ``Accept-Language`` asks for (English when none of ours)."""
    locale = DEFAULT_API_LOCALE
    if req is not None:
        asked = from_accept_language(req.get_header("Accept-Language"))
        locale = asked or DEFAULT_API_LOCALE
    resp.status = falcon.code_to_http_status(problem.status)
    resp.content_type = PROBLEM_CONTENT_TYPE
    resp.data = problem_document(problem, current_request_id(), locale)
    for name, value in problem.headers.items():
        resp.set_header(name, value)


_PROBLEM_MEMBERS = frozenset(
    {"type", "title", "status", "code", "detail", "request_id", "headers", "extra"}
)


def problem_from_service_error(error: ce.ServiceError, retry_after: int) -> Problem:
    """The problem for a contract error; a 503 always says when to retry (the
    service's ``retry_after`` when it gave one, else ``retry_after``)."""
    status = status_for(error)
    # a service's details may not overwrite the problem's own members
    details = {k: v for k, v in error.details.items() if k not in _PROBLEM_MEMBERS}
    headers = {}
    if "retry_after" in details:
        headers["Retry-After"] = str(int(details["retry_after"]))
    elif status == 503:
        headers["Retry-After"] = str(retry_after)
    if status == 500:
        _log.error("unmapped service error %r", error)
        return Problem(500, "internal_error", "An unexpected error occurred.")
    return Problem(status, error.error_code, error.message, headers, **details)


# What gunicorn refuses while it reads a request (issue 12, finding 6), most specific
# first: the request line and headers (answered by the worker, gateway/worker.py,
# before the application runs) and a chunked body (raised while a resource reads
# it). The details are fixed sentences: they never echo what the client sent.
TRANSPORT_REFUSALS: tuple[tuple[type[Exception], int, str, str], ...] = (
    (
        http_errors.LimitRequestLine,
        414,
        "uri_too_long",
        "The request line is too long; send long values in the body.",
    ),
    (
        http_errors.LimitRequestHeaders,
        431,
        "header_fields_too_large",
        "Too many header fields, or one of them is too large.",
    ),
    (
        http_errors.UnsupportedTransferCoding,
        501,
        "unsupported_transfer_coding",
        "The only transfer coding accepted is chunked.",
    ),
    (
        http_errors.ExpectationFailed,
        417,
        "expectation_failed",
        "The only expectation accepted is 100-continue.",
    ),
    (
        http_errors.ConfigurationProblem,
        500,
        "internal_error",
        "An unexpected error occurred.",
    ),
    (
        (http_errors.InvalidResponseHeader, http_errors.InvalidResponseHeaderName),
        500,
        "internal_error",
        "An unexpected error occurred.",
    ),
    (
        http_errors.ParseException,
        400,
        "malformed_request",
        "The request is not valid HTTP/1.1 (its request line, a header such as "
        "Content-Length or Transfer-Encoding, or the chunks of its body).",
    ),
)


def transport_problem(error: BaseException) -> Problem:
    """The problem for an error gunicorn raised; 500 for anything else."""
    for classes, status, code, detail in TRANSPORT_REFUSALS:
        if isinstance(error, classes):
            return Problem(status, code, detail)
    return Problem(500, "internal_error", "An unexpected error occurred.")


def register(app: falcon.App, retry_after: int, page_errors=None) -> None:
    """Every handler; ``page_errors(req, resp, problem) -> bool`` answers a
    problem as an HTML page when the request was for one (gateway.web)."""

    def answer(req, resp, problem: Problem) -> None:
        if page_errors is None or not page_errors(req, resp, problem):
            render(resp, problem, req)

    def on_problem(req, resp, ex, params):
        answer(req, resp, ex)

    def on_service_error(req, resp, ex, params):
        answer(req, resp, problem_from_service_error(ex, retry_after))

    def on_unavailable(req, resp, ex, params):
        _log.warning("dependency unavailable: %s", ex)
        answer(
            req,
            resp,
            Problem(
                503,
                "service_unavailable",
                f"The {ex.service} service is not available; try again shortly.",
                {"Retry-After": str(retry_after)},
                service=ex.service,
            ),
        )

    def on_http_error(req, resp, ex, params):
        code = {404: "not_found", 405: "method_not_allowed"}.get(
            ex.status_code, (ex.title or "http_error").lower().replace(" ", "_")
        )
        # Falcon's own errors carry the headers their status requires: a 405's
        # Allow lists the resource's methods (RFC 9110, section 15.5.6).
        headers = dict(ex.headers or {})
        answer(req, resp, Problem(ex.status_code, code, ex.description or "", headers))

    def on_transport_error(req, resp, ex, params):
        # a malformed chunk of a body a resource was reading
        render(resp, transport_problem(ex), req)

    def on_unexpected(req, resp, ex, params):
        _log.exception("unhandled error")
        answer(
            req, resp, Problem(500, "internal_error", "An unexpected error occurred.")
        )

    # Falcon picks the most specific registered handler.
    app.add_error_handler(Exception, on_unexpected)
    app.add_error_handler(http_errors.ParseException, on_transport_error)
    app.add_error_handler(falcon.HTTPError, on_http_error)
    app.add_error_handler(ce.ServiceError, on_service_error)
    app.add_error_handler(ServiceUnavailable, on_unavailable)
    app.add_error_handler(Problem, on_problem)
