"""An organisation registers in a browser with its main agent's SMS code, in
Chinese with JavaScript off, then logs in and sees its information masked."""

from __future__ import annotations

import random

import pytest

from tests import identity_data as gen
from tests.browser.conftest import (
    captcha_answer,
    check,
    log_in,
    sms_code_sent,
    submit_registration,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def fill_person(page, prefix: str, person: dict) -> None:
    key = prefix.replace(".", "\\.")
    page.fill(f"#f-{prefix}-name".replace(".", "-"), person["name"])
    page.fill(f"#f-{prefix}-phone", person["phone"])
    page.fill(f"#f-{prefix}-doc_number", person["doc_number"])
    page.fill(f"#f-{prefix}-doc_valid_from", person["doc_valid_from"])
    if person.get("doc_long_term"):
        page.check(f"input[name={key}\\.doc_long_term]")
    else:
        page.fill(f"#f-{prefix}-doc_valid_to", person["doc_valid_to"])


def test_an_organisation_registers_with_its_main_agent(stack, site, open_page, auditor):
    org = gen.organization_registration(random.Random())
    agent = org["main_agent"]
    page = open_page(js=False)
    page.goto(site + "/register")
    page.get_by_role("link", name="单位用户（法人）注册").click()
    page.wait_for_url("**/register/organization")
    check(page, "register_organization", auditor=auditor)

    page.fill("#f-login_name", org["login_name"])
    page.fill("#f-name", org["name"])
    page.fill("#f-unique_code", org["credit_code"])
    fill_person(page, "legal_representative", org["legal_representative"])
    fill_person(page, "main_agent", agent)
    captcha_id = page.input_value("input[name=captcha_id]")
    page.fill("#f-captcha_answer", captcha_answer(stack.url, captcha_id))
    page.click("button[value=send_sms]")
    page.wait_for_selector(".notice")
    assert "验证码已发送" in page.locator(".notice").inner_text()
    assert page.input_value("#f-main_agent-doc_number") == agent["doc_number"]
    assert page.is_checked("input[name=legal_representative\\.doc_long_term]")
    code = sms_code_sent(stack.url, agent["phone"])

    # without the agreement: refused, the error beside it, the rest kept
    submit_registration(
        page, org["password"], "#f-main_agent-sms_code", code, agree=False
    )
    page.wait_for_selector("#error-summary")
    assert "请阅读并同意协议" in page.locator("#error-summary").inner_text()
    assert page.input_value("#f-unique_code") == org["credit_code"]
    check(page, "register_organization_errors", auditor=auditor)

    submit_registration(page, org["password"], "#f-main_agent-sms_code", code)
    page.wait_for_url("**/register/done")
    assert org["login_name"] in page.locator("main").inner_text()

    log_in(page, site, org["login_name"], org["password"])
    text = page.locator("main").inner_text()
    assert org["name"] in text
    assert org["credit_code"] not in text and org["credit_code"][:3] in text
    check(page, "me_organization", auditor=auditor)
