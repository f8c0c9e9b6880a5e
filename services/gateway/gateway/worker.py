"""The gateway's gunicorn worker: gthread, answering gunicorn's own errors as the API does.

gunicorn refuses some requests before the application sees them: a request line
over ``limit_request_line`` (414), too many or too large header fields (431), a
malformed ``Content-Length`` or ``Transfer-Encoding`` (400)... Its stock answer is
an HTML page without ``X-Request-ID`` (issue 12, finding 6). This worker answers
them with the same statuses as problem+json (``errors.TRANSPORT_REFUSALS``, one
table with the application's own handler), a new request id (no header could be
trusted yet), the security headers and ``no-store``, and logs one access line
with that id, so ``make trace ID=…`` finds it like any other request.

``gunicorn.conf.py`` names it: ``worker_class = "gateway.worker.ProblemThreadWorker"``.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime
from http import HTTPStatus

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from gateway.errors import PROBLEM_CONTENT_TYPE, problem_document, transport_problem
from gateway.security_headers import API_CONTENT_SECURITY_POLICY, SECURITY_HEADERS

_access = logging.getLogger("gateway.access")


def error_answer(status: int, request_id: str, body: bytes) -> bytes:
    """A complete HTTP/1.1 answer that closes the connection."""
    headers = {
        "Connection": "close",
        "Content-Type": PROBLEM_CONTENT_TYPE,
        "Content-Length": str(len(body)),
        "X-Request-ID": request_id,
        "Cache-Control": "no-store",
        "Content-Security-Policy": API_CONTENT_SECURITY_POLICY,
        **SECURITY_HEADERS,
    }
    head = f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()
    )
    return (head + "\r\n").encode("latin-1") + body


class ProblemThreadWorker(ThreadWorker):
    def handle_error(self, req, client, addr, exc):
        started = time.time()
        problem = transport_problem(exc)
        peer = (addr or ("",))[0]
        if problem.status >= 500:
            self.log.exception("Error handling request")
        else:
            self.log.warning("Invalid request from ip=%s: %s", peer, type(exc).__name__)
        request_id = uuid.uuid4().hex
        _access.info(
            "request refused by gunicorn",
            extra={
                "correlation_id": request_id,
                "hop": "http",
                "call_id": f"gateway.http.{request_id}",
                "method": getattr(req, "method", None),
                "route": "unparsed",
                "status": problem.status,
                "code": problem.code,
                "started_at": datetime.fromtimestamp(started, UTC).isoformat(),
                "duration_ms": 0.0,
                "outcome": "ok" if problem.status < 500 else "error",
            },
        )
        answer = error_answer(
            problem.status, request_id, problem_document(problem, request_id)
        )
        try:
            util.write_nonblock(client, answer)
        except Exception:  # noqa: BLE001 - the client may be gone; gunicorn does the same
            self.log.debug("Failed to send error message.")
