"""gunicorn's own refusals, mapped once (``errors.TRANSPORT_REFUSALS``) and written by
the gateway's worker as problem+json (the real answers: tests/e2e/test_gateway_transport.py)."""

from __future__ import annotations

import json

import pytest
from gateway.errors import problem_document, transport_problem
from gateway.worker import error_answer
from gunicorn.http import errors as http_errors


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (http_errors.LimitRequestLine(9000, 4094), 414, "uri_too_long"),
        (http_errors.LimitRequestHeaders("fields"), 431, "header_fields_too_large"),
        (http_errors.InvalidHeader("CONTENT-LENGTH"), 400, "malformed_request"),
        (http_errors.InvalidChunkSize(b"zz"), 400, "malformed_request"),
        (http_errors.InvalidRequestLine("GET"), 400, "malformed_request"),
        (
            http_errors.UnsupportedTransferCoding("gzip"),
            501,
            "unsupported_transfer_coding",
        ),
        (http_errors.ExpectationFailed("x"), 417, "expectation_failed"),
        (http_errors.InvalidResponseHeader("X"), 500, "internal_error"),
        (RuntimeError("boom"), 500, "internal_error"),
    ],
)
def test_each_refusal_has_its_status_and_code(error, status, code):
    problem = transport_problem(error)
    assert (problem.status, problem.code) == (status, code)
    # the detail is ours, never the client's input echoed back
    assert "9000" not in problem.detail and "gzip" not in problem.detail


def test_the_worker_writes_a_complete_problem_answer():
    problem = transport_problem(http_errors.LimitRequestLine(9000, 4094))
    body = problem_document(problem, "a" * 32)
    raw = error_answer(414, "a" * 32, body)
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 414 ")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert headers["Content-Type"] == "application/problem+json"
    assert headers["X-Request-ID"] == "a" * 32
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Connection"] == "close"
    assert int(headers["Content-Length"]) == len(rest)
    document = json.loads(rest)
    assert document["request_id"] == "a" * 32
    assert (document["status"], document["code"]) == (414, "uri_too_long")
