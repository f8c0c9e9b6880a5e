"""Request id and access log.

Every request gets an id: a well-formed ``X-Request-ID`` from the caller is kept,
otherwise one is made. It is returned on the response, bound to every log line of
the request and passed to every RPC as the ``correlation_id`` context.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from gateway.tracing import current_trace_headers

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
_WELL_FORMED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")

_access = logging.getLogger("gateway.access")


def current_request_id() -> str | None:
    return _request_id.get()


def rpc_context() -> dict:
    """Nameko context data for an RPC made while handling the current request."""
    request_id = current_request_id()
    return {
        "correlation_id": request_id,
        "call_id_stack": [f"gateway.http.{request_id}"],
        # the request's span, so the services' spans join its trace
        **current_trace_headers(),
    }


def _trace_fields(req) -> dict:
    trace_id = getattr(req.context, "trace_id", None)
    return {"trace_id": trace_id} if trace_id else {}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "correlation_id"):
            record.correlation_id = current_request_id()
        record.service = "gateway"
        return True


class RequestIdMiddleware:
    def process_request(self, req, resp):
        offered = req.get_header("X-Request-ID")
        request_id = offered if offered and _WELL_FORMED.match(offered) else None
        request_id = request_id or uuid.uuid4().hex
        req.context.request_id = request_id
        req.context.token = _request_id.set(request_id)
        req.context.started = (time.time(), time.perf_counter())
        resp.set_header("X-Request-ID", request_id)

    def process_response(self, req, resp, resource, req_succeeded):
        started = getattr(req.context, "started", None)
        if started is not None:
            wall, perf = started
            route = getattr(req, "uri_template", None) or "unmatched"
            status = (
                int(resp.status_code) if hasattr(resp, "status_code") else resp.status
            )
            _access.info(
                "request finished",
                extra={
                    "hop": "http",
                    "call_id": f"gateway.http.{req.context.request_id}",
                    "method": req.method,
                    "route": route,
                    "status": status,
                    "started_at": datetime.fromtimestamp(wall, UTC).isoformat(),
                    "duration_ms": round((time.perf_counter() - perf) * 1000, 3),
                    "outcome": "ok" if status < 500 else "error",
                    # only where spans are exported (gateway/tracing.py)
                    **_trace_fields(req),
                },
            )
        token = getattr(req.context, "token", None)
        if token is not None:
            _request_id.reset(token)
