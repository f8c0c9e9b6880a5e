"""Single sign-on in a real browser with the demo business system running (sso.md:
"log in at the portal, open Torch statistics from the catalogue, the demo shows the
person and the organisation, no second login").

The demo (deploy/demo/torch_statistics.py) runs as a real process registered with
this stack as a business system of its own (tests/support/demo.py), named
火炬统计（演示） so that it stands apart from the development stack's Torch
statistics in 服务事项 (whose redirect URI, :8090, nothing answers in a test).
"""

from __future__ import annotations

import pytest
from contracts.masking import mask_credit_code

from tests.browser.conftest import check, log_in
from tests.support import client
from tests.support.demo import running_demo

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

DEMO_ZH = "火炬统计（演示）"
DEMO_EN = "Torch statistics (demo)"


@pytest.fixture(scope="module")
def demo(stack, tmp_path_factory):
    with running_demo(
        stack, tmp_path_factory.mktemp("demo"), name_zh=DEMO_ZH, name_en=DEMO_EN
    ) as running:
        yield running


def enter_demo(page, site: str, name: str) -> None:
    """From the portal's home page, 服务事项: the demo's enter link."""
    page.goto(site + "/")
    entry = page.locator("ul.catalogue li").filter(
        has=page.get_by_role("heading", name=name, exact=True)
    )
    entry.get_by_role("link").click()


def demo_rows(page) -> dict[str, str]:
    """The demo's table, as the person reads it: heading → value."""
    rows = page.locator("main table tr")
    return {
        rows.nth(i).locator("th").inner_text(): rows.nth(i).locator("td").inner_text()
        for i in range(rows.count())
    }


def designate(org_page, site: str, login_name: str) -> None:
    org_page.goto(site + "/me/agents")
    org_page.fill("#f-login_name", login_name)
    org_page.click("button[value=designate]")
    org_page.wait_for_selector(".notice")
    assert login_name in org_page.locator("table").inner_text()


def test_an_agent_enters_the_demo_for_the_organisation_until_revoked(
    stack, site, open_page, demo
):
    org_body, _ = client.verified_organization(stack.url, stack.authority_registry)
    person_body, _ = client.register_person(stack.url)
    # the credit code as business systems receive it: masked (sso.md)
    org = f"{org_body['name']}（{mask_credit_code(org_body['credit_code'])}）"

    # the organisation designates the agent on its agents page
    org_page = open_page()
    log_in(org_page, site, org_body["login_name"], org_body["password"])
    designate(org_page, site, person_body["login_name"])

    # the agent logs in at the portal and opens the demo from 服务事项
    page = open_page()
    log_in(page, site, person_body["login_name"], person_body["password"])
    page.goto(site + "/")
    check(page, "sso_demo_home_agent")
    enter_demo(page, site, DEMO_ZH)
    page.wait_for_url("**/sso/acting-for?next=*")
    check(page, "sso_demo_acting_for")
    page.get_by_label(org_body["name"], exact=False).check()
    page.click("button.primary")

    # the demo shows person, organisation and trust level: no second login
    page.wait_for_url(demo.url + "/")
    assert page.locator("h1").inner_text() == "当前登录"
    rows = demo_rows(page)
    assert rows.pop("实名状态")  # pending or failed by now: the authority's answer
    assert rows == {
        "姓名 / 名称": person_body["name"],
        "账号类型": "自然人",
        "信任等级": "1 级（已注册）",
        "代表单位": org,
    }
    check(page, "sso_demo_torch_acting_for")

    # the demo's logout returns to the portal, whose session has ended too
    page.get_by_role("link", name="退出").click()
    page.wait_for_url(site + "/")
    assert page.locator("main").get_by_role("link", name="用户登录").count() == 1
    page.goto(site + "/me")
    page.wait_for_url("**/login?next=%2Fme")

    # the organisation revokes the agent; the next entry is as themself, unasked
    org_page.goto(site + "/me/agents")
    org_page.click("button[value=revoke]")
    org_page.wait_for_selector(".notice")
    assert "尚未指定代办人" in org_page.locator("main").inner_text()
    log_in(page, site, person_body["login_name"], person_body["password"])
    visited = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    enter_demo(page, site, DEMO_ZH)
    page.wait_for_url(demo.url + "/")
    assert demo_rows(page)["代表单位"] == "本人"
    assert not [url for url in visited if "/sso/acting-for" in url]


def test_a_person_enters_the_demo_with_javascript_off_in_english(
    stack, site, open_page, auditor, demo
):
    body, _ = client.register_person(stack.url)
    page = open_page(locale="en", js=False)
    page.goto(demo.url + "/")  # nobody has come in yet: its own login
    assert page.get_by_role("link", name="通过门户登录").count() == 1
    check(page, "sso_demo_torch_welcome_nojs", "en", auditor)

    page.goto(site + "/")
    entry = page.locator("ul.catalogue li").filter(
        has=page.get_by_role("heading", name=DEMO_EN, exact=True)
    )
    assert "Log in to enter it." in entry.inner_text()
    check(page, "sso_demo_home_en", "en", auditor)
    log_in(page, site, body["login_name"], body["password"])
    enter_demo(page, site, DEMO_EN)

    page.wait_for_url(demo.url + "/")
    rows = demo_rows(page)
    assert rows["姓名 / 名称"] == body["name"]
    assert rows["代表单位"] == "本人"
    assert rows["信任等级"] == "1 级（已注册）"
    check(page, "sso_demo_torch_person_nojs", "en", auditor)
