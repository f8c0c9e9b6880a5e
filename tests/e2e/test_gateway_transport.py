"""What a caller sees at the HTTP transport level of the real gateway under gunicorn
(issue 12, finding 6): errors gunicorn raises itself are problem+json with an
``X-Request-ID``; chunked bodies are read, within the same limits as any body;
``/metrics`` is served on its own port and not on the public one.
"""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from contracts.recovery import MAX_APPEAL_FILE_BYTES

from tests.support.raw_http import chunked, exchange, request_head

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def assert_problem(answer, status: int, code: str) -> dict:
    assert answer.status == status, answer
    assert answer.headers["content-type"].startswith("application/problem+json")
    request_id = answer.headers.get("x-request-id")
    assert request_id
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"
    body = answer.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["request_id"] == request_id
    assert body["title"]
    return body


# --- errors gunicorn raises before the application sees the request ----------------------


def test_an_over_long_request_line_is_a_problem_414(live_stack):
    path = "/api/v1/health?pad=" + "a" * 9000
    answer = exchange(live_stack.port, request_head("GET", path, {}))
    assert_problem(answer, 414, "uri_too_long")


def test_an_over_large_header_is_a_problem_431(live_stack):
    head = request_head("GET", "/api/v1/health", {"X-Padding": "b" * 9000})
    assert_problem(exchange(live_stack.port, head), 431, "header_fields_too_large")


def test_too_many_headers_is_a_problem_431(live_stack):
    headers = [(f"X-H{index}", "v") for index in range(150)]
    head = request_head("GET", "/api/v1/health", headers)
    assert_problem(exchange(live_stack.port, head), 431, "header_fields_too_large")


@pytest.mark.parametrize("value", ["abc", "-1", "12, 12"])
def test_a_malformed_content_length_is_a_problem_400(live_stack, value):
    head = request_head(
        "POST",
        "/api/v1/password-strength",
        {"Content-Type": "application/json", "Content-Length": value},
    )
    body = assert_problem(exchange(live_stack.port, head), 400, "malformed_request")
    assert "<html" not in json.dumps(body).lower()


def test_each_refusal_has_its_own_request_id(live_stack):
    """gunicorn refuses before reading any header, so the id is always a new one:
    two refusals never share one."""
    path = "/api/v1/health?pad=" + "a" * 9000
    first = exchange(live_stack.port, request_head("GET", path, {}))
    second = exchange(live_stack.port, request_head("GET", path, {}))
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


# --- chunked request bodies ----------------------------------------------------------------


def post_chunked(port: int, path: str, content_type: str, body: bytes):
    head = request_head(
        "POST",
        f"/api/v1{path}",
        {"Content-Type": content_type, "Transfer-Encoding": "chunked"},
    )
    return exchange(port, head + chunked(body))


def test_a_chunked_json_body_is_read(live_stack):
    body = json.dumps({"password": "abc", "login_name": "chunky"}).encode()
    answer = post_chunked(
        live_stack.port, "/password-strength", "application/json", body
    )
    assert answer.status == 200, answer
    rated = answer.json()
    assert rated["strength"] == "weak"
    assert rated["acceptable"] is False


def test_a_chunked_json_body_over_the_limit_is_refused_413(live_stack):
    body = json.dumps({"password": "x" * 70_000, "login_name": "chunky"}).encode()
    answer = post_chunked(
        live_stack.port, "/password-strength", "application/json", body
    )
    assert_problem(answer, 413, "body_too_large")


def multipart(fields: dict[str, str], files: dict[str, bytes]) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    out = bytearray()
    for name, value in fields.items():
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n"
        ).encode()
    for name, data in files.items():
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{name}.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", bytes(out)


def test_a_chunked_upload_is_read(live_stack):
    """Only the fields are sent: the answer names the missing files and nothing
    else, so the fields were read."""
    content_type, body = multipart(
        {"name": "张三", "phone": "13800138000", "sms_code": "123456"}, {}
    )
    answer = post_chunked(
        live_stack.port, "/recovery/appeals/person", content_type, body
    )
    problem = assert_problem(answer, 422, answer.json()["code"])
    fields = {error["field"] for error in problem["errors"]}
    assert {"id_front", "id_back"} <= fields
    assert not {"name", "phone", "sms_code"} & fields


def test_a_chunked_upload_over_the_file_limit_is_refused(live_stack):
    content_type, body = multipart(
        {"name": "张三"}, {"id_front": b"\x89PNG" + b"0" * MAX_APPEAL_FILE_BYTES}
    )
    answer = post_chunked(
        live_stack.port, "/recovery/appeals/person", content_type, body
    )
    problem = assert_problem(answer, 422, "file_too_large")
    assert problem["errors"][0]["field"] == "id_front"


# --- /metrics on its own port ------------------------------------------------------------


def test_metrics_are_served_on_their_own_port_only(live_stack):
    requests.get(f"{live_stack.url}/health", timeout=10)
    metrics = requests.get(live_stack.metrics_url("gateway"), timeout=10)
    assert metrics.status_code == 200
    assert "gateway_http_requests_total" in metrics.text
    assert f":{live_stack.port}/" not in live_stack.metrics_url("gateway")

    public = requests.get(f"http://127.0.0.1:{live_stack.port}/metrics", timeout=10)
    assert public.status_code == 404
    assert public.headers["Content-Type"].startswith("application/problem+json")
    assert "gateway_http_requests_total" not in public.text
