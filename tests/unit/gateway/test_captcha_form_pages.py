"""The captcha's form on the pages: the button posting a form to /captcha-form
remembers the choice of a question in words, keeps the values and goes back;
the page then asks otp for a text captcha (and shows the picture again, saying
when, past otp's text quota)."""

from __future__ import annotations

from contracts import errors as ce

from tests.unit.gateway.test_pages import client, post_form

QUESTION = {
    "captcha_id": "t" * 20,
    "question_zh": "七加五等于几？请用阿拉伯数字回答。",
    "question_en": "What is seven plus five? Answer in digits.",
    "expires_in": 300,
}


def choose(http, choice: str, next_path: str = "/register/person"):
    return post_form(
        http,
        f"/captcha-form?next={next_path}",
        {
            "csrf_token": "t",
            "captcha_form": choice,
            "login_name": "wang_xm",
            "captcha_id": "c" * 20,
        },
    )


def cookies_of(answer) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in answer.cookies.values())


def test_choosing_the_question_is_remembered_and_keeps_the_values():
    http, rpc = client({("otp", "create_text_captcha"): lambda client_ip: QUESTION})
    chosen = choose(http, "text")
    assert chosen.status_code == 303
    assert chosen.headers["Location"].endswith("/register/person")
    assert chosen.cookies["captcha_form"].value == "text"

    page = http.simulate_get(
        "/register/person",
        headers={"Cookie": cookies_of(chosen) + "; __Host-csrf=t"},
    )
    assert page.status_code == 200
    assert "验证题: <span data-captcha-question>七加五等于几？" in page.text
    assert 'data-captcha-form="text"' in page.text
    assert "data-captcha-image" not in page.text
    assert 'aria-describedby="h-captcha_answer"' in page.text
    assert ("otp", "create_text_captcha") in [c[:2] for c in rpc.calls]

    back = choose(http, "image")
    assert back.cookies["captcha_form"].value == "image"


def test_next_is_only_a_path_of_ours():
    http, _ = client()
    assert choose(http, "text", "//evil.example/").headers["Location"].endswith("/")
    assert "evil" not in choose(http, "text", "//evil.example/").headers["Location"]


def test_past_the_text_quota_the_picture_comes_back_saying_when():
    def limited(client_ip):
        raise ce.RateLimited("text_captcha_rate_limited", "no", {"retry_after": 900})

    http, _ = client({("otp", "create_text_captcha"): limited})
    page = http.simulate_get(
        "/register/person", headers={"Cookie": "captcha_form=text; __Host-csrf=t"}
    )
    assert page.status_code == 200
    assert "data-captcha-image" in page.text
    assert "请在 900 秒后重试" in page.text
    assert 'aria-describedby="h-captcha_answer h-captcha_limited"' in page.text
