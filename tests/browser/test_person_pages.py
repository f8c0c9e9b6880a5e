"""A natural person in a browser: the portal, the registration form (with its
errors), the SMS code behind the captcha, log in, my information, log out; with
JavaScript on in zh-CN and off in English. axe on every page; screenshots in zh-CN.
"""

from __future__ import annotations

import random

import pytest

from tests import identity_data as gen
from tests.browser.conftest import (
    captcha_answer,
    check,
    sms_code_sent,
    submit_registration,
)
from tests.browser.keyboard import press_on, tab_to, type_into
from tests.support.client import register_person

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

WORDS = {
    "zh-CN": {
        "register": "注册账号",
        "person": "自然人注册",
        "login": "用户登录",
        "logout": "退出",
        "me": "我的信息",
        "summary": "请更正以下问题",
        "captcha_wrong": "图形验证码错误或已过期",
        "mismatch": "两次输入的密码不一致",
        "sent": "验证码已发送",
        "done": "注册成功",
        "status": "认证中",
        "national": "全国一体化政务服务平台",
    },
    "en": {
        "register": "Register",
        "person": "Register as a natural person",
        "login": "Log in",
        "logout": "Log out",
        "me": "My information",
        "summary": "Please correct the following",
        "captcha_wrong": "wrong or expired",
        "mismatch": "The passwords do not match",
        "sent": "The SMS code was sent",
        "done": "Registered",
        "status": "Being verified",
        "national": "National Integrated Government Service Platform",
    },
}


@pytest.mark.parametrize(("locale", "js"), [("zh-CN", True), ("en", False)])
def test_a_person_registers_logs_in_and_sees_my_information(
    stack, site, open_page, auditor, locale, js
):
    words = WORDS[locale]
    suffix = "" if js else "_nojs"
    person = gen.person_registration(random.Random(), name="王小明")
    page = open_page(locale=locale, js=js)
    audit = None if js else auditor

    page.goto(site + "/")
    assert words["national"] in page.locator("header").inner_text()
    check(page, "home" + suffix, locale, audit)
    # the registration by the keyboard alone (issue 13): Tab, typing, Space, Enter
    press_on(page, "main a[href='/register']")
    page.wait_for_url("**/register")
    check(page, "register_choose" + suffix, locale, audit)
    press_on(page, "main a[href='/register/person']")
    page.wait_for_url("**/register/person")
    check(page, "register_person" + suffix, locale, audit)

    # a wrong captcha: the error beside it and in the summary, values kept
    type_into(page, "#f-login_name", person["login_name"])
    type_into(page, "#f-password", person["password"])
    type_into(page, "#f-name", person["name"])
    type_into(page, "#f-doc_number", person["doc_number"])
    type_into(page, "#f-phone", person["phone"])
    type_into(page, "#f-captcha_answer", "????")
    press_on(page, "button[value=send_sms]")
    page.wait_for_selector("#error-summary")
    assert words["summary"] in page.locator("#error-summary").inner_text()
    assert words["captcha_wrong"] in page.locator("#captcha").inner_text()
    assert page.input_value("#f-login_name") == person["login_name"]
    assert page.input_value("#f-doc_number") == person["doc_number"]
    assert page.input_value("#f-password") == ""  # never kept
    check(page, "register_person_errors" + suffix, locale, audit)

    # the SMS code, behind the right captcha
    captcha_id = page.input_value("input[name=captcha_id]")
    type_into(page, "#f-captcha_answer", captcha_answer(stack.url, captcha_id))
    press_on(page, "button[value=send_sms]")
    page.wait_for_selector(".notice")
    assert words["sent"] in page.locator(".notice").inner_text()
    code = sms_code_sent(stack.url, person["phone"])

    # passwords that differ: refused, beside the confirmation
    submit_registration(
        page, person["password"], "#f-sms_code", code, person["password"] + "x"
    )
    page.wait_for_selector("#e-password_confirmation")
    assert words["mismatch"] in page.locator("#e-password_confirmation").inner_text()

    submit_registration(page, person["password"], "#f-sms_code", code)
    page.wait_for_url("**/register/done")
    assert words["done"] in page.locator("h1").inner_text()
    assert person["login_name"] in page.locator("main").inner_text()
    check(page, "register_done" + suffix, locale, audit)

    press_on(page, "main a[href='/login']")
    page.wait_for_url("**/login")
    check(page, "login" + suffix, locale, audit)
    type_into(page, "#f-login_name", person["login_name"])
    type_into(page, "#f-password", person["password"])
    page.keyboard.press("Enter")
    page.wait_for_url("**/me")
    text = page.locator("main").inner_text()
    assert person["login_name"] in text
    assert person["name"] in text
    assert person["doc_number"] not in text  # masked
    assert person["doc_number"][:3] in text
    check(page, "me" + suffix, locale, audit)

    press_on(page, "form[action='/logout'] button")
    page.wait_for_url(site + "/")
    page.goto(site + "/me")
    page.wait_for_url("**/login?next=%2Fme")


def test_by_keyboard_alone_a_person_logs_in_and_changes_the_password(
    stack, site, open_page
):
    body, _ = register_person(stack.url)
    new_password = "Kb7!pLm2#xWq"
    page = open_page()
    page.goto(site + "/")
    tab_to(page, "nav a[href='/login']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/login")
    tab_to(page, "#f-login_name")
    page.keyboard.type(body["login_name"])
    page.keyboard.press("Tab")
    page.keyboard.type(body["password"])
    page.keyboard.press("Enter")
    page.wait_for_url("**/me")

    tab_to(page, "main a[href='/me/password']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/me/password")
    check(page, "me_password")
    tab_to(page, "#f-current_password")
    page.keyboard.type(body["password"])
    page.keyboard.press("Tab")
    page.keyboard.type(new_password)
    tab_to(page, "#f-new_password_confirmation")
    page.keyboard.type(new_password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/me")
    assert "密码已修改" in page.locator(".notice").inner_text()
