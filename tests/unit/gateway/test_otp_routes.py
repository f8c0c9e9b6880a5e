"""The gateway's otp routes, with a fake RPC client (no network)."""

from __future__ import annotations

import falcon.inspect
import falcon.testing
import pytest
from contracts.errors import InvalidInput, NotFound, RateLimited, Unavailable
from gateway.app import create_app
from gateway.client_address import client_address, trusted_networks
from gateway.openapi_doc import load_openapi
from gateway.settings import Settings, parse_trusted_proxies
from gateway.web.routes import is_page_path

from tests.unit.gateway.fakes import FakeRedis


class FakeRpc:
    def __init__(self):
        self.calls: list[tuple[str, str, dict]] = []
        self.answers: dict[str, object] = {
            "create_captcha": {
                "captcha_id": "c" * 24,
                "image_png_base64": "iVBORw0KGgo=",
                "expires_in": 300,
            },
            "send_sms_code": {"expires_in": 300, "resend_after": 60},
            "get_captcha_answer": {"captcha_id": "c" * 24, "answer": "ACEFG"},
            "read_sms_outbox": [],
        }

    def call(self, service, method, context=None, timeout=None, **kwargs):
        self.calls.append((service, method, kwargs))
        answer = self.answers[method]
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(rpc, **settings) -> falcon.testing.TestClient:
    settings.setdefault("environment", "test")
    return falcon.testing.TestClient(create_app(Settings(**settings), rpc, FakeRedis()))


@pytest.fixture
def rpc():
    return FakeRpc()


BODY = {
    "phone": "138 0013 8000",
    "purpose": "register_person",
    "captcha_id": "c" * 24,
    "captcha_answer": "acefg",
}


def test_post_captchas_answers_a_png_data_url(rpc):
    result = client(rpc).simulate_post("/api/v1/captchas")
    assert result.status_code == 201
    assert result.json == {
        "captcha_id": "c" * 24,
        "form": "image",
        "image": "data:image/png;base64,iVBORw0KGgo=",
        "expires_in": 300,
    }
    assert result.headers["Cache-Control"] == "no-store"


def test_post_sms_codes_passes_the_canonical_phone_and_the_peer_address(rpc):
    result = client(rpc).simulate_post(
        "/api/v1/sms-codes",
        json=BODY,
        remote_addr="198.51.100.7",
        headers={"X-Forwarded-For": "203.0.113.9"},  # not trusted: ignored
    )
    assert result.status_code == 202
    assert result.json == {"expires_in": 300, "resend_after": 60}
    ((service, method, kwargs),) = rpc.calls
    assert (service, method) == ("otp", "send_sms_code")
    assert kwargs == {
        "phone": "+8613800138000",
        "purpose": "register_person",
        "captcha_id": "c" * 24,
        "captcha_answer": "acefg",
        "client_ip": "198.51.100.7",
    }


def test_x_forwarded_for_counts_only_behind_a_trusted_proxy(rpc):
    app = client(rpc, trusted_proxies=("10.0.0.0/8",))
    app.simulate_post(
        "/api/v1/sms-codes",
        json=BODY,
        remote_addr="10.1.2.3",
        headers={"X-Forwarded-For": "192.0.2.1, 203.0.113.9, 10.9.9.9"},
    )
    assert rpc.calls[-1][2]["client_ip"] == "203.0.113.9"


@pytest.mark.parametrize(
    "remote, forwarded, expected",
    [
        ("10.0.0.1", None, "10.0.0.1"),
        ("198.51.100.1", "203.0.113.9", "198.51.100.1"),  # peer not trusted
        ("10.0.0.1", "203.0.113.9", "203.0.113.9"),
        ("10.0.0.1", "10.0.0.2, 10.0.0.3", "10.0.0.2"),  # only proxies: the last one
        ("10.0.0.1", "203.0.113.9, garbage", "10.0.0.1"),  # garbled: stop at the proxy
        ("10.0.0.1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address(remote, forwarded, expected):
    assert (
        client_address(remote, forwarded, trusted_networks(["10.0.0.0/8"])) == expected
    )


def test_a_malformed_trusted_proxy_setting_is_refused():
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        parse_trusted_proxies("10.0.0.1, proxy.local")


@pytest.mark.parametrize(
    "change, code",
    [
        ({"phone": "12345"}, "phone_invalid"),
        ({"phone": None}, "phone_invalid"),
        ({"purpose": "lottery"}, "purpose_invalid"),
        ({"captcha_id": None}, "captcha_invalid"),
        ({"captcha_answer": 42}, "captcha_invalid"),
    ],
)
def test_bad_fields_are_422_with_the_field_and_no_rpc(rpc, change, code):
    body = {k: v for k, v in {**BODY, **change}.items() if v is not None}
    result = client(rpc).simulate_post("/api/v1/sms-codes", json=body)
    assert result.status_code == 422
    assert result.headers["Content-Type"].startswith("application/problem+json")
    assert result.json["code"] == code
    assert result.json["errors"][0]["code"] == code
    assert rpc.calls == []


def test_several_bad_fields_are_all_listed(rpc):
    result = client(rpc).simulate_post(
        "/api/v1/sms-codes", json={"phone": "1", "purpose": "x"}
    )
    assert [e["field"] for e in result.json["errors"]] == [
        "phone",
        "purpose",
        "captcha_id",
        "captcha_answer",
    ]


@pytest.mark.parametrize(
    "error, status, code, retry_after",
    [
        (
            RateLimited("sms_rate_limited", "", {"retry_after": 42}),
            429,
            "sms_rate_limited",
            "42",
        ),
        (InvalidInput("captcha_invalid", "", {}), 422, "captcha_invalid", None),
        (
            Unavailable("store_unavailable", "", {"retry_after": 5}),
            503,
            "store_unavailable",
            "5",
        ),
    ],
)
def test_otp_errors_become_problems(rpc, error, status, code, retry_after):
    rpc.answers["send_sms_code"] = error
    result = client(rpc).simulate_post("/api/v1/sms-codes", json=BODY)
    assert result.status_code == status
    assert result.json["code"] == code
    assert result.headers.get("Retry-After") == retry_after


def test_not_json_is_refused_before_any_rpc(rpc):
    result = client(rpc).simulate_post(
        "/api/v1/sms-codes",
        body="phone=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert result.status_code == 415
    assert rpc.calls == []


def test_dev_helpers_in_test(rpc):
    app = client(rpc)
    answer = app.simulate_get(f"/api/v1/dev/captchas/{'c' * 24}")
    assert answer.json["answer"] == "ACEFG"
    outbox = app.simulate_get("/api/v1/dev/sms-outbox", params={"phone": "13800138000"})
    assert outbox.json == {"phone": "+8613800138000", "messages": []}
    assert rpc.calls[-1][2] == {"phone": "+8613800138000"}
    bad = app.simulate_get("/api/v1/dev/sms-outbox", params={"phone": "1"})
    assert bad.status_code == 422 and bad.json["code"] == "phone_invalid"
    rpc.answers["get_captcha_answer"] = NotFound("captcha_not_found", "", {})
    assert app.simulate_get(f"/api/v1/dev/captchas/{'d' * 24}").status_code == 404


def test_dev_helpers_do_not_exist_in_production(rpc):
    app = client(rpc, environment="production")
    assert app.simulate_get(f"/api/v1/dev/captchas/{'c' * 24}").status_code == 404
    assert (
        app.simulate_get("/api/v1/dev/sms-outbox?phone=13800138000").status_code == 404
    )
    assert rpc.calls == []


def routes(app) -> dict[str, set[str]]:
    """The API's routes (the pages are not part of its description)."""
    served = {}
    for route in falcon.inspect.inspect_routes(app):
        if is_page_path(route.path):
            continue
        methods = {
            m.method.lower()
            for m in route.methods
            if m.internal is False and m.method not in ("OPTIONS",)
        }
        served[route.path] = methods
    return served


@pytest.mark.parametrize("environment", ["test", "production"])
def test_the_openapi_document_describes_exactly_the_served_routes(rpc, environment):
    settings = Settings(environment=environment)
    app = create_app(settings, rpc, None)
    document = load_openapi(settings.dev_helpers)
    described = {
        path: {m for m in item if m in ("get", "post", "put", "patch", "delete")}
        for path, item in document["paths"].items()
    }
    assert routes(app) == described


TEXT_CAPTCHA = {
    "captcha_id": "t" * 24,
    "question_zh": "七加五等于几？请用阿拉伯数字回答。",
    "question_en": "What is seven plus five? Answer in digits.",
    "expires_in": 300,
}


@pytest.mark.parametrize(
    ("language", "question"),
    [
        (None, TEXT_CAPTCHA["question_zh"]),
        ("en-US,en;q=0.8", TEXT_CAPTCHA["question_en"]),
    ],
)
def test_post_captchas_form_text_answers_the_question_in_the_callers_language(
    rpc, language, question
):
    rpc.answers["create_text_captcha"] = TEXT_CAPTCHA
    headers = {"Accept-Language": language} if language else {}
    result = client(rpc).simulate_post(
        "/api/v1/captchas", params={"form": "text"}, headers=headers
    )
    assert result.status_code == 201
    assert result.json == {
        "captcha_id": "t" * 24,
        "form": "text",
        "question": question,
        "expires_in": 300,
    }
    # otp counts it against the text form's quota of this client's address
    assert rpc.calls == [("otp", "create_text_captcha", {"client_ip": "127.0.0.1"})]


def test_post_captchas_text_quota_and_unknown_form(rpc):
    rpc.answers["create_text_captcha"] = RateLimited(
        "text_captcha_rate_limited", "too many", {"retry_after": 1800}
    )
    limited = client(rpc).simulate_post("/api/v1/captchas", params={"form": "text"})
    assert limited.status_code == 429
    assert limited.json["code"] == "text_captcha_rate_limited"
    assert limited.headers["Retry-After"] == "1800"

    unknown = client(rpc).simulate_post("/api/v1/captchas", params={"form": "audio"})
    assert unknown.status_code == 422
    assert unknown.json["code"] == "captcha_form_invalid"
    assert [c[1] for c in rpc.calls] == ["create_text_captcha"]  # nothing asked
