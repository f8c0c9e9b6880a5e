"""Unlocking a locked login name by SMS in a browser (账号被锁定？用短信解锁):
someone else locks the name with wrong passwords; its owner, from the login
page's link, asks for a code to the reserved phone, enters it and logs in."""

from __future__ import annotations

import pytest

from tests.browser.conftest import captcha_answer, check, sms_code_sent
from tests.support import client

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ATTACKER = "127.0.0.31"


def lock(url: str, login_name: str) -> None:
    """Five wrong passwords from another address (captcha when asked)."""
    statuses = client.lock_login_name(url, login_name, client.session_from(ATTACKER))
    assert statuses[-1] == 423, statuses


@pytest.mark.parametrize("js", [False, True], ids=["js-off", "js-on"])
def test_the_owner_unlocks_a_locked_name_by_sms(stack, site, open_page, auditor, js):
    body, _ = client.register_person(stack.url)
    lock(stack.url, body["login_name"])
    audit = None if js else auditor

    page = open_page(js=js)
    page.goto(site + "/login")
    page.fill("#f-login_name", body["login_name"])
    page.fill("#f-password", body["password"])
    page.click("button.primary")
    page.wait_for_selector("#error-summary")
    assert "锁定" in page.locator("#error-summary").inner_text()

    page.get_by_role("link", name="账号被锁定？用短信解锁").click()
    page.wait_for_url("**/login/unlock")
    check(page, "login_unlock", auditor=audit)
    page.fill("#f-login_name", body["login_name"])
    page.fill("#f-phone", "13800000000" if body["phone"] != "13800000000" else "1")
    page.fill(
        "#f-captcha_answer",
        captcha_answer(stack.url, page.input_value("input[name=captcha_id]")),
    )
    page.click("button.primary")
    # a wrong phone answers the same: a code page, nothing sent to anyone
    page.wait_for_url("**/login/unlock/code")
    page.goto(site + "/login/unlock")
    page.fill("#f-login_name", body["login_name"])
    page.fill("#f-phone", body["phone"])
    page.fill(
        "#f-captcha_answer",
        captcha_answer(stack.url, page.input_value("input[name=captcha_id]")),
    )
    page.click("button.primary")
    page.wait_for_url("**/login/unlock/code")
    assert page.input_value("#f-login_name") == body["login_name"]
    page.fill("#f-sms_code", "000000")
    page.click("button.primary")
    page.wait_for_selector("#e-sms_code")
    check(page, "login_unlock_code_error", auditor=audit)
    page.fill("#f-sms_code", sms_code_sent(stack.url, body["phone"], "解除登录锁定"))
    page.click("button.primary")
    page.wait_for_url("**/login")
    assert "账号已解锁" in page.locator(".notice").inner_text()
    check(page, "login_unlocked", auditor=audit)

    page.fill("#f-login_name", body["login_name"])
    page.fill("#f-password", body["password"])
    page.click("button.primary")
    page.wait_for_url("**/me")
