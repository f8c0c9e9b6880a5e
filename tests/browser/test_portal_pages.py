"""The pages around the flows in a browser: help with the support contact, the
agreement, an unknown address (404 in the frame), the language and the
ageing-friendly mode remembered, log in with the captcha after 3 failures, and
the strength meter saying what the server's rule says."""

from __future__ import annotations

import random

import pytest
from accounts.passwords import rate_password

from tests import identity_data as gen
from tests.browser.conftest import captcha_answer, check
from tests.support.client import register_person

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

STRENGTH_WORDS = {"weak": "弱", "medium": "中", "strong": "强"}


def test_help_agreement_and_404_in_the_frame(site, open_page):
    page = open_page()
    page.goto(site + "/help")
    main = page.locator("main").inner_text()
    assert "010-88659000" in main and "fuwu@most.cn" in main and "010-88654001" in main
    assert "fuwu@most.cn" in page.locator("footer").inner_text()
    check(page, "help")

    page.goto(site + "/agreements/person")
    assert page.locator("h1").inner_text() == "自然人实名认证协议"
    check(page, "agreement_person")

    answer = page.goto(site + "/no/such/page")
    assert answer.status == 404
    assert page.locator("h1").inner_text() == "页面不存在"
    assert "全国一体化政务服务平台" in page.locator("header").inner_text()
    check(page, "error_404")


def test_language_and_ageing_mode_are_remembered(site, open_page):
    page = open_page()
    page.goto(site + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.get_by_role("link", name="适老化模式").click()
    assert "ageing" in (page.locator("html").get_attribute("class") or "")
    check(page, "home_ageing")
    page.get_by_role("link", name="English").click()
    page.goto(site + "/help")  # another page: both remembered
    assert page.locator("html").get_attribute("lang") == "en"
    assert "ageing" in (page.locator("html").get_attribute("class") or "")
    assert page.locator("h1").inner_text() == "Help and contact"
    check(page, "help_en_ageing", locale="en")
    page.get_by_role("link", name="Standard mode").click()
    assert "ageing" not in (page.locator("html").get_attribute("class") or "")


def test_login_asks_for_the_captcha_after_three_failures(
    stack, site, open_page, auditor
):
    body, _ = register_person(stack.url)
    page = open_page(js=False)
    page.goto(site + "/login")
    for _ in range(3):
        page.fill("#f-login_name", body["login_name"])
        page.fill("#f-password", "Wrong-password-1")
        page.click("button.primary")
        page.wait_for_selector("#error-summary")
        assert "登录名或密码错误" in page.locator("#error-summary").inner_text()
    page.fill("#f-login_name", body["login_name"])
    page.fill("#f-password", body["password"])
    page.click("button.primary")
    page.wait_for_selector("#captcha")  # required now, the password was not enough
    assert page.input_value("#f-login_name") == body["login_name"]
    check(page, "login_captcha", auditor=auditor)

    page.fill("#f-password", body["password"])
    captcha_id = page.input_value("input[name=captcha_id]")
    page.fill("#f-captcha_answer", captcha_answer(stack.url, captcha_id))
    page.click("button.primary")
    page.wait_for_url("**/me")
    assert body["login_name"] in page.locator("main").inner_text()


def test_the_strength_meter_says_what_the_server_rule_says(site, open_page):
    """The meter shows accounts.passwords.rate_password's verdict (弱 / 中 / 强)
    for the login name typed, so the page and the rule cannot drift apart."""
    login_name = gen.login_name(random.Random(), "meter")
    page = open_page()
    page.goto(site + "/register/person")
    page.fill("#f-login_name", login_name)
    meter = page.locator("[data-strength-meter]")
    for password in (
        "abc",
        "password1",
        "Qwmnzx81",
        login_name + "A1!",
        "Tq7!vLz#2mWp9x",
    ):
        expected = rate_password(password, login_name)["strength"]
        page.fill("#f-password", password)
        page.wait_for_function(
            "([el, level]) => el.getAttribute('data-level') === level && !el.hidden",
            arg=[meter.element_handle(), expected],
        )
        assert STRENGTH_WORDS[expected] in meter.inner_text(), password
    assert {
        rate_password(p, login_name)["strength"]
        for p in ("abc", "Qwmnzx81", "Tq7!vLz#2mWp9x")
    } == {"weak", "medium", "strong"}


@pytest.mark.parametrize(
    "path",
    ["/", "/register", "/register/person", "/register/organization", "/login"],
)
def test_usable_at_200_percent_zoom(site, browser, path):
    """A 1280 px wide screen at 200 % zoom lays pages out in 640 CSS pixels: no
    page may need scrolling sideways (WCAG 1.4.10 reflow)."""
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 640, "height": 450}
    )
    try:
        page = context.new_page()
        page.goto(site + path)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"{path} scrolls {overflow}px sideways at 200 %"
    finally:
        context.close()
