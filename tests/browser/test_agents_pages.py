"""Agents in a browser (代办): a verified organisation designates a natural person
by login name, the person sees the organisation, the organisation revokes it;
the organisation's steps by the keyboard alone (issue 13)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import check, log_in
from tests.browser.keyboard import press_on, type_into
from tests.support import client

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_an_organisation_designates_and_revokes_an_agent(stack, site, open_page):
    org_body, _ = client.verified_organization(stack.url, stack.authority_registry)
    person_body, _ = client.register_person(stack.url)

    org_page = open_page()
    log_in(org_page, site, org_body["login_name"], org_body["password"])
    press_on(org_page, "main a[href='/me/agents']")
    org_page.wait_for_url("**/me/agents")
    assert "尚未指定代办人" in org_page.locator("main").inner_text()
    type_into(org_page, "#f-login_name", "no_such_person_1")
    press_on(org_page, "button[value=designate]")
    org_page.wait_for_selector("#e-login_name")
    check(org_page, "agents_errors")
    type_into(org_page, "#f-login_name", person_body["login_name"])
    press_on(org_page, "button[value=designate]")
    org_page.wait_for_selector(".notice")
    assert person_body["login_name"] in org_page.locator("table").inner_text()
    check(org_page, "agents")

    person_page = open_page(locale="en", js=False)
    log_in(person_page, site, person_body["login_name"], person_body["password"])
    person_page.goto(site + "/me/agents")
    assert org_body["name"] in person_page.locator("table").inner_text()

    press_on(org_page, "button[value=revoke]", key="Space", backward=True)
    org_page.wait_for_selector(".notice")
    assert "尚未指定代办人" in org_page.locator("main").inner_text()
    person_page.reload()
    assert person_page.locator("table").count() == 0
