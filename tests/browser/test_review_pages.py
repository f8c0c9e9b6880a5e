"""The reviewer console in a browser (审核): a reviewer made with accounts' CLI
logs in at the portal's login page, finds the case in the queue, sees the
claimed identity beside the uploaded images, and decides; the person or the
appellant sees the outcome on their own pages. Anyone else gets 403 in the frame.
"""

from __future__ import annotations

import pytest
import requests

from tests import identity_data as gen
from tests.browser.conftest import check, log_in
from tests.browser.keyboard import tab_to
from tests.e2e.test_verification_flow import png
from tests.support import client

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def reviewer_on_queue(stack, site, open_page, js: bool = True):
    """A new reviewer logged in on the portal's login page, then on /review."""
    reviewer = client.reviewer_session(stack.url, stack.env())
    page = open_page(js=js)
    log_in(page, site, reviewer["login_name"], reviewer["password"])
    page.goto(site + "/review")
    return reviewer, page


def open_from_queue(page, case_id: str) -> None:
    """Follow the queue's pages (oldest first) to ``case_id`` and open it."""
    for _ in range(50):
        link = page.get_by_role("link", name=case_id)
        if link.count():
            link.click()
            page.wait_for_url(f"**/review/{case_id}")
            return
        following = page.get_by_role("link", name="下一页")
        if not following.count():
            break
        following.click()
        page.wait_for_load_state()
    raise AssertionError(f"{case_id} is not in the queue ({page.url})")


def failed_person_with_materials(stack) -> tuple[dict, str, str]:
    """A person whose check failed and who uploaded the document's two sides:
    registration body, token, the case waiting for a reviewer."""
    body, _ = client.register_person(stack.url)  # not in the authority's registry
    token = client.token_of(stack.url, body)
    client.wait_for_real_name(stack.url, token, "failed", what="the check to fail")
    files = {
        "id_front": ("front.png", png(), "image/png"),
        "id_back": ("back.png", png(), "image/png"),
    }
    uploaded = requests.post(
        f"{stack.url}/me/verification/materials",
        headers=client.bearer(token),
        files=files,
        timeout=30,
    )
    assert uploaded.status_code == 202, uploaded.text
    return body, token, uploaded.json()["case_id"]


def test_a_reviewer_approves_a_person_appeal_and_the_appellant_sees_it(
    stack, site, open_page
):
    from tests.e2e.test_recovery_appeals import Platform, person_appeal, register

    platform = Platform(stack, stack.authority_registry)
    person = register(platform)
    submitted = person_appeal(platform, person, gen.mobile())
    assert submitted.status_code == 202, submitted.text
    appeal = submitted.json()

    reviewer, page = reviewer_on_queue(stack, site, open_page)  # zh-CN, JavaScript on
    assert page.locator("table.list th[scope=col]").first.inner_text() == "案件编号"
    check(page, "review_queue")
    open_from_queue(page, appeal["appeal_id"])
    main = page.locator("main")
    assert person["name"] in main.inner_text()  # the claim, masked where the API masks
    assert page.locator(".images img").count() == 2
    for image in page.locator(".images img").all():
        assert image.get_attribute("alt").startswith("本案件上传的身份证件")
    views = page.locator("table:has(caption:has-text('查看记录')) tbody tr")
    assert views.count() == 1  # this view, audited by recovery
    assert reviewer["account_id"] in views.last.inner_text()
    assert "暂未记入审计" not in main.inner_text()
    check(page, "review_case_appeal")

    page.check("input[name=decision][value=approve]")
    page.click("button.primary")  # no reason given
    page.wait_for_selector("#error-summary")
    assert page.locator("#e-reason").count() == 1
    assert page.is_checked("input[name=decision][value=approve]")  # kept
    assert views.count() == 2  # the page shown again with the error: a new view
    check(page, "review_case_errors")
    page.fill("#f-reason", "证件与账户一致")
    page.click("button.primary")
    page.wait_for_url("**/review")
    assert appeal["appeal_id"] in page.locator(".notice").inner_text()
    assert "已审核通过" in page.locator(".notice").inner_text()

    status = open_page(js=False)
    status.goto(site + "/recover/appeal-status")
    status.fill("#f-appeal_id", appeal["appeal_id"])
    status.fill("#f-ticket", appeal["ticket"])
    status.click("button.primary")
    status.wait_for_selector("[role=status]")
    assert "审核通过" in status.locator("[role=status]").inner_text()


def test_a_reviewer_rejects_a_verification_case_by_keyboard_and_the_person_sees_it(
    stack, site, open_page, auditor
):
    body, token, case_id = failed_person_with_materials(stack)
    reviewer, page = reviewer_on_queue(stack, site, open_page, js=False)
    open_from_queue(page, case_id)
    claimed = page.locator(".claimed").inner_text()
    assert body["name"] in claimed and body["doc_number"] in claimed  # in full
    assert page.locator(".images img").count() == 2
    views = page.locator("table:has(caption:has-text('查看记录')) tbody tr")
    assert reviewer["account_id"] in views.last.inner_text()  # this view, audited
    check(page, "review_case_verification", auditor=auditor)

    # keyboard only: Tab to the decision, the arrow to 驳回, the reason, Enter
    tab_to(page, "input[name=decision]")
    page.keyboard.press("ArrowDown")
    assert page.is_checked("input[name=decision][value=reject]")
    tab_to(page, "#f-reason")
    page.keyboard.type("证件照片模糊，无法辨认")
    tab_to(page, "button.primary")
    page.keyboard.press("Enter")
    page.wait_for_url("**/review")
    assert "已驳回" in page.locator(".notice").inner_text()

    client.wait_for_real_name(stack.url, token, "rejected", what="the rejection")
    person = open_page(js=False)
    log_in(person, site, body["login_name"], body["password"])
    status = person.locator(".status-box").inner_text()
    assert "人工审核未通过" in status and "证件照片模糊，无法辨认" in status
    check(person, "me_rejected", auditor=auditor)


def test_a_non_reviewer_gets_403_and_a_visitor_is_sent_to_log_in(
    stack, site, open_page
):
    page = open_page()
    page.goto(site + "/review")
    page.wait_for_url("**/login?next=%2Freview")
    body, _ = client.register_person(stack.url)
    page.fill("#f-login_name", body["login_name"])
    page.fill("#f-password", body["password"])
    with page.expect_response(lambda r: r.url.endswith("/review")) as answer:
        page.click("button.primary")  # back to where the visitor was heading
    assert answer.value.status == 403
    page.wait_for_url("**/review")
    assert page.locator("h1").inner_text() == "无权操作"
    assert "forbidden" in page.locator("main .code").inner_text()
    check(page, "review_forbidden")


def test_an_organisation_appeal_with_namesakes_needs_the_account_named(
    stack, site, open_page, auditor
):
    from tests.e2e.test_recovery_appeals import (
        Platform,
        look_up,
        organization_appeal,
        register_organization,
        temporary_password_sms,
    )

    platform = Platform(stack, stack.authority_registry)
    name = f"同名审核{platform.rng.randrange(10**8)}有限公司"
    units = [register_organization(platform, name) for _ in range(2)]
    body, target = units[1]
    looked_up = look_up(platform, name, credit_code=body["credit_code"])
    assert looked_up.status_code == 201, looked_up.text
    contact = gen.mobile(platform.rng)
    appeal_id = organization_appeal(platform, looked_up.json()["lookup_id"], contact)

    _, page = reviewer_on_queue(stack, site, open_page, js=False)
    open_from_queue(page, appeal_id)
    rows = page.locator("section:has(#candidates-title) tbody tr")
    assert rows.count() == 2
    assert body["login_name"] in rows.first.inner_text()  # the given code's first
    assert body["credit_code"] not in page.locator("main").inner_text()  # masked
    assert "可能涉及多个账号" in page.locator(".differences").inner_text()
    check(page, "review_case_organization_appeal", auditor=auditor)

    page.check("input[name=decision][value=approve]")
    page.fill("#f-reason", "营业执照上的信用代码与第一个候选一致")
    page.click("button.primary")  # no account named
    page.wait_for_selector("#error-summary")
    assert "请选择与申诉相符的账号" in page.locator("#e-account_id").inner_text()
    assert page.input_value("#f-reason") == "营业执照上的信用代码与第一个候选一致"
    check(page, "review_case_candidate_required", auditor=auditor)
    page.check(f"input[name=account_id][value='{target['account_id']}']")
    page.click("button.primary")
    page.wait_for_url("**/review")
    assert appeal_id in page.locator(".notice").inner_text()

    # the filter: approved cases, the decision in the case's audit
    page.select_option("#f-status", "approved")
    page.get_by_role("button", name="显示").click()
    page.wait_for_url("**/review?status=approved")
    open_from_queue(page, appeal_id)
    decisions = page.locator("table:has(caption:has-text('审核决定记录'))").inner_text()
    assert "营业执照上的信用代码与第一个候选一致" in decisions
    assert page.locator("#f-reason").count() == 0  # decided: no form

    login_name, _ = temporary_password_sms(platform, contact)
    assert login_name == body["login_name"]  # the one named, no other
