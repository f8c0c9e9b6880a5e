"""An organisation registers in a browser with its main agent's SMS code, in
Chinese with JavaScript off and by the keyboard alone, then logs in and sees its
information masked."""

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
from tests.browser.keyboard import press_on, tick, type_date, type_into

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def type_person(page, prefix: str, person: dict) -> None:
    """A person's block by the keyboard alone: Tab, typing, Space."""
    key = prefix.replace(".", "\\.")
    type_into(page, f"#f-{prefix}-name", person["name"])
    type_into(page, f"#f-{prefix}-phone", person["phone"])
    type_into(page, f"#f-{prefix}-doc_number", person["doc_number"])
    type_date(page, f"#f-{prefix}-doc_valid_from", person["doc_valid_from"])
    if person.get("doc_long_term"):
        tick(page, f"input[name={key}\\.doc_long_term]")
    else:
        type_date(page, f"#f-{prefix}-doc_valid_to", person["doc_valid_to"])


def test_an_organisation_registers_with_its_main_agent(stack, site, open_page, auditor):
    org = gen.organization_registration(random.Random())
    agent = org["main_agent"]
    page = open_page(js=False)
    page.goto(site + "/register")
    # the registration by the keyboard alone (issue 13): Tab and Shift+Tab,
    # typing (the dates segment by segment), Space, Enter
    press_on(page, "main a[href='/register/organization']")
    page.wait_for_url("**/register/organization")
    check(page, "register_organization", auditor=auditor)

    type_into(page, "#f-login_name", org["login_name"])
    type_into(page, "#f-name", org["name"])
    type_into(page, "#f-unique_code", org["credit_code"])
    type_person(page, "legal_representative", org["legal_representative"])
    type_person(page, "main_agent", agent)
    captcha_id = page.input_value("input[name=captcha_id]")
    answer = captcha_answer(stack.url, captcha_id)
    type_into(page, "#f-captcha_answer", answer, backward=True)  # above the document
    press_on(page, "button[value=send_sms]")
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
