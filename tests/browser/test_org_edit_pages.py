"""An organisation edits its information in a browser (修改法人信息): a verified
one its own details (JavaScript off), and one whose real-name check failed
corrects its credit code, legal representative and main agent, proving the
main agent's new mobile with an SMS code, and passes the check (JavaScript on).
axe on every page; screenshots in zh-CN."""

from __future__ import annotations

import random

import pytest
import requests

from tests import identity_data as gen
from tests.browser.conftest import captcha_answer, check, log_in, sms_code_sent
from tests.support import client

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def me_of(stack, token: str) -> dict:
    answer = requests.get(f"{stack.url}/me", headers=client.bearer(token), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_verified_organisation_edits_its_details(stack, site, open_page, auditor):
    body, token = client.verified_organization(stack.url, stack.authority_registry)
    page = open_page(js=False)
    log_in(page, site, body["login_name"], body["password"])
    page.get_by_role("link", name="修改我的信息").click()
    page.wait_for_url("**/me/edit")
    assert page.locator("h1").inner_text() == "修改法人信息"
    assert page.input_value("#f-name") == body["name"]
    assert page.is_checked("input[name=legal_person_type][value=enterprise]")
    # a verified identity is not corrected here: no code, no people
    assert page.locator("#f-unique_code").count() == 0
    assert page.locator("#f-main_agent-phone").count() == 0
    check(page, "me_edit_organization", auditor=auditor)

    page.fill("#f-name_en", "Torch Test Tech Co., Ltd.")
    page.fill("#f-short_name", "火炬测试")
    page.fill("#f-area", "北京市海淀区")
    page.check("input[name=legal_person_type][value=institution]")
    page.fill("#f-homepage", "not a homepage")
    page.click("button.primary")
    page.wait_for_selector("#error-summary")
    assert page.locator("#e-homepage").count() == 1
    assert page.input_value("#f-short_name") == "火炬测试"  # kept
    check(page, "me_edit_organization_errors", auditor=auditor)

    page.fill("#f-homepage", "https://torch.example.cn")
    page.click("button.primary")
    page.wait_for_url("**/me")
    assert "您的信息已保存" in page.locator(".notice").inner_text()
    main = page.locator("main").inner_text()
    assert "火炬测试" in main and "北京市海淀区" in main
    check(page, "me_organization_saved", auditor=auditor)
    profile = me_of(stack, token)["profile"]
    assert profile["name_en"] == "Torch Test Tech Co., Ltd."
    assert profile["short_name"] == "火炬测试"
    assert profile["legal_person_type"] == "institution"
    assert profile["homepage"] == "https://torch.example.cn"


def fill_person(page, prefix: str, person: dict) -> None:
    key = prefix.replace(".", "-")
    page.fill(f"#f-{key}-name", person["name"])
    page.fill(f"#f-{key}-phone", person["phone"])
    page.check(f"input[name='{prefix}.identity_region'][value=mainland]")
    page.select_option(f"#f-{key}-doc_type", "resident_id")
    page.fill(f"#f-{key}-doc_number", person["doc_number"])
    page.fill(f"#f-{key}-doc_valid_from", "2021-03-01")
    page.check(f"input[name='{prefix}.doc_long_term']")


def test_an_organisation_corrects_what_its_failed_check_read(stack, site, open_page):
    rng = random.Random()
    body, _ = client.register_organization(stack.url)  # not in the registry
    token = client.token_of(stack.url, body)
    client.wait_for_real_name(stack.url, token, "failed", what="the check to fail")
    page = open_page()
    log_in(page, site, body["login_name"], body["password"])
    page.get_by_role("link", name="更正我的信息").click()
    page.wait_for_url("**/me/edit")
    assert page.locator("#correct-title").inner_text() == "更正核验信息"
    check(page, "me_edit_organization_correct")

    code = gen.credit_code(rng)
    representative = gen.mainland_person(rng, "赵强")
    agent = gen.mainland_person(rng, "孙丽")
    page.fill("#f-unique_code", code)
    fill_person(page, "legal_representative", representative)
    fill_person(page, "main_agent", agent)

    # a new mobile without its code: refused beside the code's field
    page.click("button.primary")
    page.wait_for_selector("#error-summary")
    assert page.locator("#e-main_agent-sms_code").count() == 1
    assert page.input_value("#f-main_agent-phone") == agent["phone"]  # kept
    check(page, "me_edit_organization_correct_errors")

    # the SMS code to the new mobile, behind the captcha
    captcha_id = page.input_value("input[name=captcha_id]")
    page.fill("#f-captcha_answer", captcha_answer(stack.url, captcha_id))
    page.click("button[value=send_sms]")
    page.wait_for_selector(".notice")
    sms = sms_code_sent(stack.url, agent["phone"])
    # the blocks are whole again (the code, never kept, too)
    page.fill("#f-main_agent-sms_code", sms)
    page.fill("#f-unique_code", code)
    fill_person(page, "legal_representative", representative)
    fill_person(page, "main_agent", agent)
    corrected = {
        **body,
        "credit_code": code,
        "legal_representative": representative,
    }
    client.add_to_registry(stack.authority_registry, corrected)
    page.click("button.primary")
    page.wait_for_url("**/me")
    assert "您的信息已保存" in page.locator(".notice").inner_text()
    assert "赵强" in page.locator("main").inner_text()

    client.wait_for_real_name(
        stack.url, token, "passed", what="the corrected organisation to pass"
    )
    profile = me_of(stack, token)["profile"]
    assert profile["unique_code"] == f"{code[:3]}********{code[-2:]}"
    phone = agent["phone"]
    assert profile["mobile"] == f"{phone[:2]}*****{phone[-3:]}"
    assert profile["main_agent"]["name"] == "孙丽"
