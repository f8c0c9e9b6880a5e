"""The two appeals in a browser, end to end against the real stack: 法人申诉
(检索单位 → 上传文件 → 等待审核) and 自然人申诉 (上传证件 → 等待审核) in zh-CN with
JavaScript on, and a person's appeal in English with JavaScript off. Each shows
its errors beside the fields (a wrong credit code, a file that is no image, a
file over 1 MB), gives the appeal's number and query code, whose status page
says "waiting" and, after a reviewer approves through the review API, the
outcome; the temporary password then arrives by SMS. axe on every page, the
zh-CN ones kept as screenshots."""

from __future__ import annotations

import os
import random

import pytest
import requests
from PIL import Image

from tests import identity_data as gen
from tests.browser.conftest import captcha_answer, check, sms_code_sent
from tests.browser.keyboard import choose_option, press_on, tab_to, type_into
from tests.support import client
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def png_file(path, noise: bool = False) -> str:
    """A small PNG, or with ``noise`` one over 1 MB (random pixels do not
    compress)."""
    if noise:
        side = 700
        Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(path)
        assert os.path.getsize(path) > 1024 * 1024
    else:
        Image.new("RGB", (160, 100), (40, 90, 160)).save(path, format="PNG")
    return str(path)


def not_an_image(path) -> str:
    path.write_text("这不是图片")
    return str(path)


def solve_captcha(page, api: str) -> None:
    captcha_id = page.input_value("input[name=captcha_id]")
    type_into(page, "#f-captcha_answer", captcha_answer(api, captcha_id))


def attach(page, selector: str, path: str) -> None:
    """A file input reached by Tab; the file set by Playwright (no key can
    drive a file chooser in headless Chromium)."""
    tab_to(page, selector)
    page.set_input_files(selector, path)


def current_step(page) -> str:
    return page.locator("[aria-current=step]").inner_text()


def choose_way(page, site: str, link: str, path: str) -> str:
    """From the recover chooser to an appeal's first step (its link ``link``
    reached by Tab, followed by Enter); the step's name."""
    page.goto(site + "/recover")
    anchor = page.locator("main").get_by_role("link", name=link)
    assert anchor.get_attribute("href") == path
    press_on(page, f"main a[href='{path}']")
    page.wait_for_url("**" + path)
    return current_step(page)


def send_sms(page, api: str, phone_field: str, phone: str) -> str:
    """获取验证码 behind the captcha, by the keyboard; the code that arrived."""
    type_into(page, phone_field, phone)
    solve_captcha(page, api)
    press_on(page, "button[value=send_sms]")
    page.wait_for_selector(".notice")
    return sms_code_sent(api, phone, "申诉找回密码")


def approve(stack, appeal_id: str) -> None:
    """A reviewer approves through the review API (the console is another page)."""
    reviewer = client.reviewer_session(stack.url, stack.env())
    decided = client.decide(
        stack.url, reviewer["token"], appeal_id, "approve", "证件与账户一致"
    )
    assert decided.status_code == 200, decided.text


def temporary_password_sent(api: str, phone: str) -> None:
    def arrived():
        outbox = requests.get(
            f"{api}/dev/sms-outbox", params={"phone": phone}, timeout=10
        ).json()
        return any("临时密码" in m["text"] for m in outbox["messages"]) or None

    wait_for(arrived, timeout=20, interval=0.2, what="the temporary password SMS")


def look_up_status(page, appeal_id: str, ticket: str) -> str:
    """查询申诉进度 by the keyboard; what the status section says."""
    type_into(page, "#f-appeal_id", appeal_id)
    type_into(page, "#f-ticket", ticket)
    press_on(page, "main button.primary")
    page.wait_for_selector("section[role=status]")
    return page.locator("section[role=status]").inner_text()


def test_an_organisation_appeals_and_a_reviewer_approves(
    stack, site, open_page, tmp_path
):
    body, _ = client.register_organization(stack.url, body=client.organization_body())
    page = open_page()  # zh-CN, JavaScript on
    way = choose_way(
        page, site, "单位法人用户申诉找回密码", "/recover/appeal/organization"
    )
    assert "检索单位" in way
    check(page, "recover_appeal_lookup")

    code = body["credit_code"]
    page.fill("#f-unit_name", body["name"])
    page.fill("#f-unique_code", code[:-1] + ("1" if code[-1] != "1" else "2"))
    solve_captcha(page, stack.url)
    page.click("button.primary")
    page.wait_for_selector("#error-summary")
    assert "统一社会信用代码有误" in page.locator("#e-unique_code").inner_text()
    assert page.input_value("#f-unit_name") == body["name"]
    check(page, "recover_appeal_lookup_errors")

    page.fill("#f-unique_code", code)
    solve_captcha(page, stack.url)
    page.click("button.primary")
    page.wait_for_url("**/recover/appeal/organization/lku_*")
    assert "上传文件" in current_step(page)
    check(page, "recover_appeal_organization")

    contact = gen.mobile()
    page.fill("#f-contact_name", "赵敏")
    sms = send_sms(page, stack.url, "#f-contact_phone", contact)
    assert page.is_disabled("button[value=send_sms]")  # the 60 s countdown
    page.fill("#f-sms_code", sms)
    page.set_input_files("#f-licence", not_an_image(tmp_path / "licence.png"))
    page.set_input_files("#f-id_front", png_file(tmp_path / "front.png"))
    page.set_input_files("#f-id_back", png_file(tmp_path / "back.png"))
    page.click("button.primary")
    page.wait_for_selector("#error-summary")
    assert "只接受 JPEG 和 PNG 图片" in page.locator("#e-licence").inner_text()
    assert page.input_value("#f-contact_name") == "赵敏"
    assert page.input_value("#f-sms_code") == ""  # never kept
    check(page, "recover_appeal_organization_errors")

    page.fill("#f-sms_code", sms)  # not spent: the gateway refused the file
    for name in ("licence", "id_front", "id_back"):
        page.set_input_files(f"#f-{name}", png_file(tmp_path / f"{name}.png"))
    page.click("button.primary")
    page.wait_for_url("**/recover/appeal/organization/submitted")
    assert "等待审核" in current_step(page)
    appeal_id = page.inner_text("[data-appeal-id]")
    ticket = page.inner_text("[data-ticket]")
    assert appeal_id.startswith("apl_") and ticket
    check(page, "recover_appeal_organization_submitted")

    page.get_by_role("button", name="查看申诉进度").click()
    page.wait_for_url("**/recover/appeal-status")
    assert "已提交，等待审核" in page.locator("section[role=status]").inner_text()

    approve(stack, appeal_id)
    assert "审核通过" in look_up_status(page, appeal_id, ticket)
    check(page, "recover_appeal_status_approved")
    temporary_password_sent(stack.url, contact)


def test_a_person_appeals_and_a_reviewer_approves(stack, site, open_page, tmp_path):
    person, _ = client.register_person(stack.url)
    page = open_page()  # zh-CN, JavaScript on
    way = choose_way(page, site, "自然人申诉找回密码", "/recover/appeal/person")
    assert "上传证件" in way
    check(page, "recover_appeal_person")

    # by the keyboard alone (issue 13), but for the files: headless Chromium
    # opens no file chooser a key could drive, so each file input is reached
    # by Tab (the assertion) and its file set with set_input_files
    phone = gen.mobile()
    type_into(page, "#f-name", person["name"])
    choose_option(page, "#f-doc_type", "resident_id")
    type_into(page, "#f-doc_number", person["doc_number"])
    sms = send_sms(page, stack.url, "#f-phone", phone)
    type_into(page, "#f-sms_code", sms)
    attach(page, "#f-id_front", png_file(tmp_path / "big.png", noise=True))
    attach(page, "#f-id_back", png_file(tmp_path / "back.png"))
    press_on(page, "button.primary")
    page.wait_for_selector("#error-summary")
    assert "文件过大" in page.locator("#e-id_front").inner_text()
    assert page.input_value("#f-doc_number") == person["doc_number"]
    assert "请在提交前重新选择文件" in page.locator(".notice").inner_text()
    check(page, "recover_appeal_person_errors")

    type_into(page, "#f-sms_code", sms)
    attach(page, "#f-id_front", png_file(tmp_path / "front.png"))
    attach(page, "#f-id_back", png_file(tmp_path / "back.png"))
    press_on(page, "button.primary")
    page.wait_for_url("**/recover/appeal/person/submitted")
    assert "等待审核" in current_step(page)
    appeal_id = page.inner_text("[data-appeal-id]")
    ticket = page.inner_text("[data-ticket]")
    check(page, "recover_appeal_person_submitted")

    press_on(page, "main a[href='/recover/appeal-status']")
    page.wait_for_url("**/recover/appeal-status")
    assert "已提交，等待审核" in look_up_status(page, appeal_id, ticket)
    approve(stack, appeal_id)
    assert "审核通过" in look_up_status(page, appeal_id, ticket)
    temporary_password_sent(stack.url, phone)


def test_a_person_appeals_in_english_without_javascript(
    stack, site, open_page, auditor, tmp_path
):
    person, _ = client.register_person(stack.url, client.person_body(random.Random()))
    page = open_page(locale="en", js=False)
    way = choose_way(page, site, "Natural-person appeal", "/recover/appeal/person")
    assert "Upload the identity document" in way
    check(page, "recover_appeal_person", locale="en", auditor=auditor)

    page.click("button.primary")  # nothing filled in
    page.wait_for_selector("#error-summary")
    for name in ("name", "doc_number", "phone", "sms_code", "id_front", "id_back"):
        assert page.locator(f"#e-{name}").count() == 1, name
    check(page, "recover_appeal_person_errors", locale="en", auditor=auditor)

    phone = gen.mobile()
    page.fill("#f-name", person["name"])
    page.select_option("#f-doc_type", "resident_id")
    page.fill("#f-doc_number", person["doc_number"])
    sms = send_sms(page, stack.url, "#f-phone", phone)
    assert "The SMS code was sent" in page.locator(".notice").inner_text()
    assert page.input_value("#f-name") == person["name"]
    page.fill("#f-sms_code", sms)
    page.set_input_files("#f-id_front", png_file(tmp_path / "front.png"))
    page.set_input_files("#f-id_back", png_file(tmp_path / "back.png"))
    page.click("button.primary")
    page.wait_for_url("**/recover/appeal/person/submitted")
    appeal_id = page.inner_text("[data-appeal-id]")
    ticket = page.inner_text("[data-ticket]")
    check(page, "recover_appeal_person_submitted", locale="en", auditor=auditor)

    page.get_by_role("button", name="See its status").click()
    page.wait_for_url("**/recover/appeal-status")
    status = page.locator("section[role=status]").inner_text()
    assert "Submitted, waiting for a review" in status
    approve(stack, appeal_id)
    assert "Approved" in look_up_status(page, appeal_id, ticket)
    check(page, "recover_appeal_status_approved", locale="en", auditor=auditor)
