"""The image captcha's non-visual alternative in a browser: a person who cannot
see the picture asks for a question in words instead, reads it (as a screen
reader does, from the field's label), answers it in the same field and gets the
SMS code that finishes a registration; with JavaScript on in zh-CN and off in
English. The choice is remembered; the picture can be asked back."""

from __future__ import annotations

import random

import pytest

from tests import identity_data as gen
from tests.browser.conftest import check, sms_code_sent, submit_registration
from tests.support.captchas import solve

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

WORDS = {
    "zh-CN": {
        "ask": "改答文字题",
        "again": "换一题",
        "picture": "改用图片验证码",
        "wrong": "图形验证码错误或已过期",
        "sent": "验证码已发送",
        "done": "注册成功",
        "digits": "阿拉伯数字",
    },
    "en": {
        "ask": "Answer a question instead",
        "again": "New question",
        "picture": "Show a picture instead",
        "wrong": "wrong or expired",
        "sent": "The SMS code was sent",
        "done": "Registered",
        "digits": "digits",
    },
}


def question_of(page) -> str:
    return page.locator("[data-captcha-question]").inner_text()


def answer_field(page, question: str):
    """The answer's field as assistive technology finds it: by its label, the
    question itself; its description says how to answer."""
    field = page.get_by_label(question, exact=False)
    described = field.get_attribute("aria-describedby").split()
    assert "h-captcha_answer" in described
    return field, described


@pytest.mark.parametrize(("locale", "js"), [("zh-CN", True), ("en", False)])
def test_a_person_registers_with_the_question_instead_of_the_picture(
    stack, site, open_page, auditor, locale, js
):
    words = WORDS[locale]
    suffix = "" if js else "_nojs"
    audit = None if js else auditor
    person = gen.person_registration(random.Random(), name="张无图")
    page = open_page(locale=locale, js=js)
    page.goto(site + "/register/person")
    assert page.locator("[data-captcha-image]").count() == 1
    page.fill("#f-login_name", person["login_name"])
    page.fill("#f-name", person["name"])
    page.fill("#f-doc_number", person["doc_number"])
    page.fill("#f-phone", person["phone"])

    page.get_by_role("button", name=words["ask"]).click()
    page.wait_for_selector("[data-captcha-question]")
    assert page.locator("[data-captcha-image]").count() == 0
    assert page.input_value("#f-login_name") == person["login_name"]  # kept
    assert page.input_value("#f-phone") == person["phone"]
    question = question_of(page)
    field, described = answer_field(page, question)
    assert words["digits"] in page.locator("#h-captcha_answer").inner_text()
    check(page, "register_person_text_captcha" + suffix, locale, audit)

    # another question: by script without leaving the page, or by a new page
    first_id = page.input_value("input[name=captcha_id]")
    page.get_by_role("button", name=words["again"]).click()
    page.wait_for_function(
        "id => document.querySelector('input[name=captcha_id]').value !== id",
        arg=first_id,
    )
    assert page.input_value("#f-phone") == person["phone"]

    # a wrong answer: refused beside the field, announced through it
    question = question_of(page)
    field, _ = answer_field(page, question)
    field.fill(str(int(solve(question)) + 1))
    page.click("button[value=send_sms]")
    page.wait_for_selector("#error-summary")
    assert words["wrong"] in page.locator("#e-captcha_answer").inner_text()
    question = question_of(page)  # still a question: the choice is remembered
    field, described = answer_field(page, question)
    assert "e-captcha_answer" in described
    assert field.get_attribute("aria-invalid") == "true"
    check(page, "register_person_text_captcha_error" + suffix, locale, audit)

    # the right answer sends the code that completes the registration
    field.fill(solve(question))
    page.click("button[value=send_sms]")
    page.wait_for_selector(".notice")
    assert words["sent"] in page.locator(".notice").inner_text()
    code = sms_code_sent(stack.url, person["phone"])
    submit_registration(page, person["password"], "#f-sms_code", code)
    page.wait_for_url("**/register/done")
    assert words["done"] in page.locator("h1").inner_text()

    # the picture can be asked back
    page.goto(site + "/register/person")
    assert page.locator("[data-captcha-question]").count() == 1
    page.get_by_role("button", name=words["picture"]).click()
    page.wait_for_selector("[data-captcha-image]")
    assert page.locator("[data-captcha-question]").count() == 0
