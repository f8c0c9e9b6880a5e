"""Request bodies are refused cleanly before any RPC: size, type, shape."""

from __future__ import annotations

import falcon
import falcon.testing
import pytest
from gateway import errors
from gateway.schemas import read_json


class Echo:
    def on_post(self, req, resp):
        resp.media = read_json(req, max_bytes=64)


@pytest.fixture
def client():
    app = falcon.App()
    errors.register(app, retry_after=5)
    app.add_route("/echo", Echo())
    return falcon.testing.TestClient(app)


def test_a_json_object_is_read(client):
    result = client.simulate_post("/echo", json={"a": 1})
    assert result.json == {"a": 1}


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (
            b"{" + b'"a": "' + b"x" * 100 + b'"}',
            "application/json",
            413,
            "body_too_large",
        ),
        (b"a=1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b"{not json", "application/json", 400, "malformed_json"),
        (b"[1, 2]", "application/json", 400, "malformed_json"),
        (b"\xff\xfe", "application/json", 400, "malformed_json"),
        (b'{"login_name": "\\uda5f"}', "application/json", 400, "malformed_json"),
        (b'{"login_name": "a\\u0000b"}', "application/json", 400, "malformed_json"),
        (b'{"x": [{"k\\u0000": 1}]}', "application/json", 400, "malformed_json"),
    ],
)
def test_bad_bodies_get_a_specific_problem(client, body, content_type, status, code):
    result = client.simulate_post(
        "/echo", body=body, headers={"Content-Type": content_type}
    )
    assert result.status_code == status
    assert result.headers["Content-Type"] == "application/problem+json"
    assert result.json["code"] == code


def test_a_surrogate_pair_is_ordinary_text(client):
    result = client.simulate_post(
        "/echo",
        body=b'{"a": "\\ud83d\\ude00"}',
        headers={"Content-Type": "application/json"},
    )
    assert result.json == {"a": "\U0001f600"}


def test_nesting_too_deep_to_parse_is_malformed():
    app = falcon.App()
    errors.register(app, retry_after=5)
    app.add_route("/echo", _LargeEcho())
    body = b"[" * 200_000 + b"]" * 200_000
    result = falcon.testing.TestClient(app).simulate_post(
        "/echo", body=body, headers={"Content-Type": "application/json"}
    )
    assert result.status_code == 400
    assert result.json["code"] == "malformed_json"


class _LargeEcho:
    def on_post(self, req, resp):
        resp.media = read_json(req, max_bytes=1_000_000)
