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
        (b"{" + b'"a": "' + b"x" * 100 + b'"}', "application/json", 413, "body_too_large"),
        (b"a=1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b"{not json", "application/json", 400, "malformed_json"),
        (b"[1, 2]", "application/json", 400, "malformed_json"),
        (b"\xff\xfe", "application/json", 400, "malformed_json"),
        (b'{"login_name": "\\uda5f"}', "application/json", 400, "malformed_json"),
    ],
)
def test_bad_bodies_get_a_specific_problem(client, body, content_type, status, code):
    result = client.simulate_post("/echo", body=body, headers={"Content-Type": content_type})
    assert result.status_code == status
    assert result.headers["Content-Type"] == "application/problem+json"
    assert result.json["code"] == code
