"""Recovery in a browser: from 忘记密码 to a new password by login name and the
reserved phone, through the three steps (检索用户 → 重置密码 → 完成), in zh-CN with
JavaScript on (the SMS countdown), the indicator saying where the user is."""

from __future__ import annotations

import pytest

from tests import identity_data as gen
from tests.browser.conftest import captcha_answer, check, sms_code_sent
from tests.support.client import register_person

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
NEW_PASSWORD = "Nw5!kRt8#zQm"


def test_a_person_resets_the_password_by_login_name(stack, site, open_page):
    body, _ = register_person(stack.url)
    page = open_page()  # zh-CN, JavaScript on
    page.goto(site + "/login")
    page.get_by_role("link", name="忘记密码？").click()
    page.wait_for_url("**/recover")
    check(page, "recover")
    page.locator("main").get_by_role("link", name="登录名重置密码").click()
    page.wait_for_url("**/recover/reset")
    assert "检索用户" in page.locator("[aria-current=step]").inner_text()
    check(page, "recover_reset_start")

    page.fill("#f-login_name", body["login_name"])
    captcha_id = page.input_value("input[name=captcha_id]")
    page.fill("#f-captcha_answer", captcha_answer(stack.url, captcha_id))
    page.click("button.primary")
    page.wait_for_url("**/recover/reset/rst_*")
    assert "重置密码" in page.locator("[aria-current=step]").inner_text()
    assert body["phone"][-3:] in page.locator("main").inner_text()  # masked phone

    page.fill("#f-phone", body["phone"])
    page.click("button[value=send_sms]")
    page.wait_for_selector(".notice")
    assert page.is_disabled("button[value=send_sms]")  # the 60 s countdown
    code = sms_code_sent(stack.url, body["phone"], "找回密码")
    check(page, "recover_reset_finish")

    page.fill("#f-sms_code", code)
    page.fill("#f-new_password", NEW_PASSWORD)
    page.fill("#f-new_password_confirmation", NEW_PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/recover/reset/done")
    assert "完成" in page.locator("[aria-current=step]").inner_text()
    check(page, "recover_reset_done")

    page.locator("main").get_by_role("link", name="用户登录").click()
    page.fill("#f-login_name", body["login_name"])
    page.fill("#f-password", NEW_PASSWORD)
    page.click("button.primary")
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
