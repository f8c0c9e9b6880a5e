"""The pages with a fake RPC pool: escaping, CSRF, the error pages in the frame
(404, 429 with when to retry, 503), the security headers, post/redirect/get, and
the agreements and localised problems of the API."""

from __future__ import annotations

from urllib.parse import urlencode

import falcon.testing
from contracts import errors as ce
from gateway.app import create_app
from gateway.settings import Settings

from tests.unit.gateway.fakes import ACCOUNT, FakeRedis, FakeRpc

EVIL = "<script>alert(1)</script>"
AGREEMENT = {
    "kind": "person",
    "version": "2024-01",
    "language": "zh-CN",
    "title": "自然人实名认证协议",
    "text": "一、第一段。\n\n二、第二段。",
}


def me_answer(account_id):
    return {
        "account_id": account_id,
        "kind": "person",
        "login_name": "zhang_wei",
        "role": "user",
        "must_change_password": False,
        "real_name_status": "pending",
        "real_name_reason": None,
        "agreement_version": "2024-01",
        "created_at": "2026-01-01T00:00:00Z",
        "profile": {
            "name": EVIL,
            "gender": "male",
            "birth_date": "1990-01-01",
            "ethnicity": None,
            "title": None,
            "email": None,
            "mobile": "13*****678",
            "telephone": None,
            "identity_region": "mainland",
            "doc_type": "resident_id",
            "doc_number": "110********12",
            "derived_from_document": True,
        },
    }


def resolve(token, csrf_token=None):
    if token != "good-token":
        raise ce.Unauthenticated("session_invalid", "Log in again.")
    return {**ACCOUNT, "csrf_ok": csrf_token == "csrf-1"}


def client(answers=None, redis=None, **settings):
    rpc = FakeRpc(
        {
            ("accounts", "resolve_session"): resolve,
            ("accounts", "get_me"): me_answer,
            ("accounts", "get_agreement"): lambda kind, language: {
                **AGREEMENT,
                "kind": kind,
                "language": language,
            },
            ("otp", "create_captcha"): lambda: {
                "captcha_id": "c" * 20,
                "image_png_base64": "iVBORw0KGgo=",
                "expires_in": 300,
            },
            **(answers or {}),
        }
    )
    app = create_app(
        Settings(environment="test", support_phone="010-88659000", **settings),
        rpc,
        redis or FakeRedis(),
    )
    return falcon.testing.TestClient(app), rpc


SESSION = {"Cookie": "__Host-session=good-token; __Host-csrf=csrf-1"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post_form(http, path: str, fields: dict, cookies: str = "__Host-csrf=t"):
    """POST ``fields`` as a page's form would, with the ``cookies`` given."""
    return http.simulate_post(
        path, body=urlencode(fields), headers={**FORM, "Cookie": cookies}
    )


def test_a_page_is_html_in_chinese_with_a_strict_policy():
    http, _ = client()
    page = http.simulate_get("/")
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<html lang="zh-CN">' in page.text
    assert (
        "全国一体化政务服务平台" in page.text and "科学技术部政务服务平台" in page.text
    )
    assert "010-88659000" in page.text  # the footer's support line
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in page.text and " style=" not in page.text
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "__Host-csrf=" in page.headers["Set-Cookie"]


def test_english_by_accept_language_or_the_toggle_which_is_remembered():
    http, _ = client()
    by_header = http.simulate_get("/help", headers={"Accept-Language": "en-US,en"})
    assert '<html lang="en">' in by_header.text
    toggled = http.simulate_get("/help", params={"lang": "en"})
    assert '<html lang="en">' in toggled.text
    assert toggled.cookies["lang"].value == "en"
    remembered = http.simulate_get(
        "/help", headers={"Cookie": "lang=en", "Accept-Language": "zh-CN"}
    )
    assert '<html lang="en">' in remembered.text


def test_the_ageing_friendly_mode_persists_in_a_cookie():
    http, _ = client()
    on = http.simulate_get("/", params={"ageing": "on"})
    assert '<html lang="zh-CN" class="ageing">' in on.text
    assert on.cookies["ageing"].value == "on"
    later = http.simulate_get("/help", headers={"Cookie": "ageing=on"})
    assert 'class="ageing"' in later.text


def test_user_text_is_escaped():
    http, _ = client()
    page = http.simulate_get("/me", headers=SESSION)
    assert page.status_code == 200
    assert EVIL not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "110********12" in page.text


def test_my_information_without_a_session_goes_to_log_in():
    http, _ = client()
    page = http.simulate_get("/me")
    assert page.status_code == 303
    assert page.headers["Location"] == "/login?next=%2Fme"


def test_a_form_without_its_csrf_token_is_refused_with_a_page():
    http, rpc = client({("accounts", "log_in"): lambda **kw: 1 / 0})
    page = post_form(
        http,
        "/login",
        {"login_name": "zhang_wei", "password": "x", "csrf_token": "other"},
        cookies="__Host-csrf=mine",
    )
    assert page.status_code == 403
    assert "text/html" in page.headers["Content-Type"]
    assert "csrf_token_invalid" in page.text
    assert not [c for c in rpc.calls if c[1] == "log_in"]


def test_a_failed_login_redirects_back_without_the_password():
    def log_in(**kwargs):
        raise ce.Unauthenticated(
            "invalid_credentials", "wrong", {"captcha_required": True}
        )

    http, _ = client({("accounts", "log_in"): log_in})
    answer = post_form(
        http,
        "/login",
        {"login_name": "zhang_wei", "password": "secret-1", "csrf_token": "t"},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/login"


def test_unknown_page_is_a_404_page_in_the_frame_and_the_api_keeps_json():
    http, _ = client()
    page = http.simulate_get("/no/such/page")
    assert page.status_code == 404
    assert "页面不存在" in page.text and "全国一体化政务服务平台" in page.text
    api = http.simulate_get("/api/v1/no/such", headers={"Accept-Language": "zh-CN"})
    assert api.headers["Content-Type"] == "application/problem+json"
    assert api.json["title"] == "未找到" and api.json["code"] == "not_found"
    english = http.simulate_get("/api/v1/no/such")
    assert english.json["title"] == "Not found"


def test_too_many_captchas_is_a_429_page_that_says_when_to_retry():
    http, _ = client(captchas_per_minute=1)
    assert http.simulate_get("/register/person").status_code == 200
    page = http.simulate_get("/register/person")
    assert page.status_code == 429
    wait = page.headers["Retry-After"]
    assert f"请在 {wait} 秒后重试" in page.text


def test_a_service_down_is_a_503_page_that_says_when_to_retry():
    broken, _ = client({("accounts", "get_agreement"): None})  # no accounts
    down = broken.simulate_get("/register/person")
    assert down.status_code == 503
    assert "服务暂不可用" in down.text
    assert "秒后重试" in down.text and down.headers["Retry-After"] == "5"


def test_agreement_follows_lang_then_accept_language_then_chinese():
    http, _ = client()
    assert http.simulate_get("/api/v1/agreements/person").json["language"] == "zh-CN"
    english = http.simulate_get(
        "/api/v1/agreements/organization", headers={"Accept-Language": "en"}
    )
    assert english.json["language"] == "en" and english.json["kind"] == "organization"
    assert (
        http.simulate_get("/api/v1/agreements/person", params={"lang": "en"}).json[
            "language"
        ]
        == "en"
    )
    wrong = http.simulate_get("/api/v1/agreements/person", params={"lang": "fr"})
    assert wrong.status_code == 422 and wrong.json["code"] == "lang_invalid"
    assert http.simulate_get("/api/v1/agreements/staff").status_code == 404


def test_page_registrations_count_in_the_api_registration_quota():
    http, rpc = client(registrations_per_hour=1)
    form = {"action": "register", "login_name": "zhang_wei", "csrf_token": "t"}
    first = post_form(http, "/register/person", form)
    assert first.status_code == 303  # refused by its shape, counted all the same
    second = post_form(http, "/register/organization", form)
    assert second.status_code == 429
    assert "text/html" in second.headers["Content-Type"]
    assert "秒后重试" in second.text
    assert not [c for c in rpc.calls if c[1].startswith("register_")]
