"""Editing my information in a browser (在线办事-我的信息): a person whose
real-name check failed corrects the name and the identity document, and the
check runs again."""

from __future__ import annotations

import random

import pytest

from tests import identity_data as gen
from tests.browser.conftest import check, log_in
from tests.support import client

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def failed_person_on_me(stack, site, open_page):
    """A person whose real-name check failed, logged in on /me (JavaScript
    off): its registration body, its API token and the page."""
    body, _ = client.register_person(stack.url)  # not in the authority's registry
    token = client.token_of(stack.url, body)
    client.wait_for_real_name(
        stack.url, token, "failed", what="the real-name check to fail"
    )
    page = open_page(js=False)
    log_in(page, site, body["login_name"], body["password"])
    return body, token, page


def test_a_person_corrects_the_details_after_a_failed_check(
    stack, site, open_page, auditor
):
    body, token, page = failed_person_on_me(stack, site, open_page)
    page.get_by_role("link", name="更正我的信息").click()
    page.wait_for_url("**/me/edit")
    assert page.input_value("#f-name") == body["name"]
    page.fill("#f-name", "")
    page.fill("#f-email", "not-an-email")
    page.click("button.primary")
    page.wait_for_selector("#error-summary")
    assert page.locator("#e-email").count() == 1
    check(page, "me_edit_errors", auditor=auditor)

    # the right document now (the registry knows it), and the name back
    right = gen.person_registration(random.Random())["doc_number"]
    client.add_to_registry(stack.authority_registry, body, doc_number=right)
    page.fill("#f-name", body["name"])
    page.fill("#f-email", "")
    page.fill("#f-doc_number", right)
    page.click("button.primary")
    page.wait_for_url("**/me")
    assert "您的信息已保存" in page.locator(".notice").inner_text()
    check(page, "me_saved", auditor=auditor)
    client.wait_for_real_name(
        stack.url, token, "passed", what="the corrected identity to pass the check"
    )


def png_file(path) -> str:
    from PIL import Image

    Image.new("RGB", (160, 100), (40, 90, 160)).save(path, format="PNG")
    return str(path)


def test_a_person_uploads_materials_after_a_failed_check(
    stack, site, open_page, auditor, tmp_path
):
    _, token, page = failed_person_on_me(stack, site, open_page)
    page.get_by_role("link", name="上传材料").click()
    page.wait_for_url("**/me/materials")
    check(page, "me_materials", auditor=auditor)
    page.set_input_files("#f-id_front", png_file(tmp_path / "front.png"))
    page.click("button.primary")  # the back side is missing
    page.wait_for_selector("#error-summary")
    page.set_input_files("#f-id_front", png_file(tmp_path / "front.png"))
    page.set_input_files("#f-id_back", png_file(tmp_path / "back.png"))
    page.click("button.primary")
    page.wait_for_url("**/me")
    assert "材料已收到" in page.locator(".notice").inner_text()
    client.wait_for_real_name(
        stack.url, token, "manual_review", what="the case to wait for a reviewer"
    )
