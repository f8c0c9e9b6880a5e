"""Recovery in a browser: from 忘记密码 to a new password by login name and the
reserved phone, through the three steps (检索用户 → 重置密码 → 完成), in zh-CN with
JavaScript on (the SMS countdown), the indicator saying where the user is; by the
keyboard alone."""

from __future__ import annotations

import pytest

from tests import identity_data as gen
from tests.browser.conftest import captcha_answer, check, sms_code_sent
from tests.browser.keyboard import press_on, type_into
from tests.support.client import register_person

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
NEW_PASSWORD = "Nw5!kRt8#zQm"


def test_a_person_resets_the_password_by_login_name(stack, site, open_page):
    body, _ = register_person(stack.url)
    page = open_page()  # zh-CN, JavaScript on
    page.goto(site + "/login")
    # the three steps by the keyboard alone (issue 13): Tab, typing, Enter
    press_on(page, "main a[href='/recover']")
    page.wait_for_url("**/recover")
    check(page, "recover")
    press_on(page, "main a[href='/recover/reset']")
    page.wait_for_url("**/recover/reset")
    assert "检索用户" in page.locator("[aria-current=step]").inner_text()
    check(page, "recover_reset_start")

    type_into(page, "#f-login_name", body["login_name"])
    captcha_id = page.input_value("input[name=captcha_id]")
    type_into(page, "#f-captcha_answer", captcha_answer(stack.url, captcha_id))
    press_on(page, "button.primary")
    page.wait_for_url("**/recover/reset/rst_*")
    assert "重置密码" in page.locator("[aria-current=step]").inner_text()
    assert body["phone"][-3:] in page.locator("main").inner_text()  # masked phone

    type_into(page, "#f-phone", body["phone"])
    press_on(page, "button[value=send_sms]")
    page.wait_for_selector(".notice")
    assert page.is_disabled("button[value=send_sms]")  # the 60 s countdown
    code = sms_code_sent(stack.url, body["phone"], "找回密码")
    check(page, "recover_reset_finish")

    type_into(page, "#f-sms_code", code)
    type_into(page, "#f-new_password", NEW_PASSWORD)
    type_into(page, "#f-new_password_confirmation", NEW_PASSWORD)
    press_on(page, "button.primary")
    page.wait_for_url("**/recover/reset/done")
    assert "完成" in page.locator("[aria-current=step]").inner_text()
    check(page, "recover_reset_done")

    press_on(page, "main a[href='/login']")
    page.wait_for_url("**/login")
    type_into(page, "#f-login_name", body["login_name"])
    type_into(page, "#f-password", NEW_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/me")
    assert gen.PASSWORD != NEW_PASSWORD


def test_an_appellant_looks_up_the_appeal_status(stack, site, open_page, auditor):
    from tests.e2e.test_recovery_appeals import Platform, person_appeal, register

    platform = Platform(stack, stack.authority_registry)
    person = register(platform)
    ticket = person_appeal(platform, person, gen.mobile())
    assert ticket.status_code == 202, ticket.text
    appeal = ticket.json()

    page = open_page(js=False)
    page.goto(site + "/recover")
    page.get_by_role("link", name="查询申诉进度").click()
    page.wait_for_url("**/recover/appeal-status")
    page.fill("#f-appeal_id", appeal["appeal_id"])
    page.fill("#f-ticket", "wrong-ticket")
    page.click("button.primary")
    page.wait_for_selector("#error-summary")
    assert "申诉不存在或查询码有误" in page.locator("#error-summary").inner_text()
    page.fill("#f-ticket", appeal["ticket"])
    page.click("button.primary")
    page.wait_for_selector("[role=status]")
    assert "已提交，等待审核" in page.locator("[role=status]").inner_text()
    assert page.input_value("#f-ticket") == ""  # never shown again
    check(page, "recover_appeal_status", auditor=auditor)
