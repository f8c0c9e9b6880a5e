"""The newer pages in English (web.md: "zh-CN and English"): each page asked for in
English, by the browser's language (``Accept-Language: en-US``) or by the toggle
(``?lang=en`` on a zh-CN browser, remembered by its cookie), shows its English
heading, no Chinese that was left untranslated (what people typed and the
deployment's contact are data, not messages) and passes axe; a form sent empty
shows its errors in English too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from contracts.masking import mask_name

from tests.browser.conftest import check, log_in
from tests.support import client

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# CJK ideographs and the full-width punctuation of Chinese text
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# the page's text without the elements marked as Chinese (the 中文 toggle)
TEXT_NOT_MARKED_CHINESE = """() => {
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll('[lang^="zh"]').forEach((e) => e.remove());
  return document.title + "\\n" + copy.innerText;
}"""


@dataclass(frozen=True)
class Case:
    path: str
    heading: str
    account: str = ""  # "person" (an agent) or "organization": logged in first
    submit: str = ""  # the button that sends the form empty: errors in English
    toggle: bool = False  # ?lang=en on a zh-CN browser, else Accept-Language en-US


CASES = {
    "me_edit": Case("/me/edit", "Edit my information", account="person"),
    "me_materials": Case(
        "/me/materials", "Upload materials", account="person", submit="button.primary"
    ),
    "me_password": Case(
        "/me/password",
        "Change the password",
        account="person",
        submit="button.primary",
        toggle=True,
    ),
    "agents": Case(
        "/me/agents",
        "Agents",
        account="organization",
        submit="button[value=designate]",
    ),
    "agents_person": Case("/me/agents", "Agents", account="person", toggle=True),
    "sso_acting_for": Case("/sso/acting-for?next=/", "Enter as whom", account="person"),
    "login_unlock": Case(
        "/login/unlock",
        "Unlock the login name by SMS",
        submit="button.primary",
        toggle=True,
    ),
    "recover": Case("/recover", "Recover the password"),
    "recover_reset": Case(
        "/recover/reset", "Reset by login name", submit="button.primary", toggle=True
    ),
    "recover_appeal_status": Case(
        "/recover/appeal-status", "Appeal status", submit="button.primary"
    ),
    "me_edit_organization": Case(
        "/me/edit", "Edit the organisation's information", account="organization"
    ),
    "recover_appeal_organization": Case(
        "/recover/appeal/organization",
        "Organisation appeal",
        submit="button.primary",
        toggle=True,
    ),
    "register_organization": Case(
        "/register/organization",
        "Organisation registration",
        submit="button.primary",
        toggle=True,
    ),
}


@pytest.fixture(scope="module")
def accounts(stack) -> dict[str, dict]:
    """A verified organisation and a person it designated as its agent."""
    org, token = client.verified_organization(stack.url, stack.authority_registry)
    person, _ = client.register_person(stack.url)
    client.designate_agent(stack.url, token, person["login_name"])
    return {"organization": org, "person": person}


def in_english(path: str) -> str:
    return path + ("&" if "?" in path else "?") + "lang=en"


def untranslated(page, data: list[str]) -> list[str]:
    """The lines of the page with Chinese in them, once ``data`` is left out."""
    lines = []
    for line in page.evaluate(TEXT_NOT_MARKED_CHINESE).splitlines():
        for value in data:
            line = line.replace(value, "")
        if CHINESE.search(line):
            lines.append(line.strip())
    return lines


@pytest.mark.parametrize("name", list(CASES))
def test_the_page_reads_in_english(stack, site, open_page, accounts, name):
    case = CASES[name]
    page = open_page(locale="zh-CN" if case.toggle else "en-US")
    if case.account:
        body = accounts[case.account]
        log_in(page, site, body["login_name"], body["password"])
    page.goto(site + (in_english(case.path) if case.toggle else case.path))
    data = [
        stack.env()["SUPPORT_PHONE"],  # the deployment's contact, as configured
        *(body["name"] for body in accounts.values()),
        *(mask_name(body["name"]) for body in accounts.values()),
    ]

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == case.heading
    assert untranslated(page, data) == []
    check(page, f"{name}_en", locale="en")
    if case.submit:
        page.click(case.submit)
        page.wait_for_selector("#error-summary")
        assert "Please correct the following" in page.inner_text("#error-summary")
        assert untranslated(page, data) == []
        check(page, f"{name}_errors_en", locale="en")
