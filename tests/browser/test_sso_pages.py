"""Entering a business system from the portal in a browser (sso.md): the home
page's 服务事项 from sso, its enter link, the login page coming back to the
authorize request (``next``), and an agent's choice page (/sso/acting-for),
until the code reaches Torch statistics' registered redirect URI.

The demo business system (deploy/demo/torch_statistics.py) is not part of the
test stack: the browser context stands in for it at 127.0.0.1:8090, its login
(the catalogue's ``initiate_login_uri``) sending to /oidc/authorize as it would,
its callback only showing what it received. The portal's side is all real.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.browser.conftest import check, log_in
from tests.browser.keyboard import choose_radio, press_on
from tests.support import client

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

TORCH = "torch-statistics"
TORCH_RP = "http://127.0.0.1:8090"
TORCH_REDIRECT = TORCH_RP + "/callback"


def stand_in_for_torch(context, site: str, state: str) -> None:
    """Torch statistics' login at 127.0.0.1:8090 sends to the provider with PKCE
    (a browser's route sees only the first request of a redirect chain, so the
    callback is observed as the request the browser makes)."""
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(secrets.token_urlsafe(48).encode()).digest()
    )
    query = {
        "response_type": "code",
        "client_id": TORCH,
        "redirect_uri": TORCH_REDIRECT,
        "scope": "openid profile",
        "state": state,
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }

    def answer(route):
        location = f"{site}/oidc/authorize?{urlencode(query)}"
        route.fulfill(status=302, headers={"Location": location})

    context.route(TORCH_RP + "/login*", answer)


def received(url: str) -> dict[str, str]:
    assert url.startswith(TORCH_REDIRECT), url
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def at_torch(request) -> bool:
    """The browser is sent to Torch statistics' registered redirect URI (no
    server answers there in the test stack: the request itself is the proof)."""
    return request.url.startswith(TORCH_REDIRECT + "?")


def sent_to_torch(page, act) -> tuple[dict[str, str], object]:
    """What Torch statistics' redirect URI receives after ``act``, and a new
    page of the same browser (this one has left the portal for an error page:
    nothing listens there)."""
    with page.expect_request(at_torch) as sent:
        act()
    page.close()
    return received(sent.value.url), page.context.new_page()


def torch_entry(page):
    return page.locator("ul.catalogue li").filter(has_text="火炬统计")


@pytest.mark.parametrize("js", [False, True], ids=["js-off", "js-on"])
def test_a_person_logs_in_from_the_catalogue_and_enters_torch(
    stack, site, open_page, auditor, js
):
    body, _ = client.register_person(stack.url)
    page = open_page(js=js)
    stand_in_for_torch(page.context, site, state="s-person")

    page.goto(site + "/")
    assert "请先登录" in torch_entry(page).inner_text()
    check(page, "home_catalogue", auditor=None if js else auditor)
    # the business system's login sends to the provider, which asks for a login
    page.goto(TORCH_RP + "/login")
    page.wait_for_url("**/login?next=*")
    assert "/oidc/authorize?" in page.input_value("input[name=next]")
    page.fill("#f-login_name", body["login_name"])
    page.fill("#f-password", body["password"])
    got, page = sent_to_torch(page, lambda: page.click("button.primary"))
    assert got["state"] == "s-person" and got["code"] and got["iss"] == site

    # logged in, the catalogue offers the enter link
    page.goto(site + "/")
    entry = torch_entry(page)
    link = entry.get_by_role("link", name="进入火炬统计")
    again, page = sent_to_torch(page, link.click)
    assert again["code"] != got["code"]
    page.goto(site + "/")
    check(page, "home_catalogue_logged_in", auditor=None if js else auditor)


def test_an_agent_chooses_as_whom_to_enter(stack, site, open_page, auditor):
    org_body, as_org = client.verified_organization(stack.url, stack.authority_registry)
    person_body, _ = client.register_person(stack.url)
    client.designate_agent(stack.url, as_org, person_body["login_name"])

    page = open_page(js=False)
    stand_in_for_torch(page.context, site, state="s-agent")
    log_in(page, site, person_body["login_name"], person_body["password"])
    page.goto(site + "/")
    enter = torch_entry(page).get_by_role("link", name="进入火炬统计")
    press_on(page, f"ul.catalogue a[href='{enter.get_attribute('href')}']")
    page.wait_for_url("**/sso/acting-for?next=*")
    form = page.locator("main form")
    assert "本人" in form.inner_text() and org_body["name"] in form.inner_text()
    check(page, "sso_acting_for", auditor=auditor)
    # the keyboard alone: Tab into the choice, the arrow to the organisation, Enter
    org_id = page.get_by_label(org_body["name"], exact=False).get_attribute("value")
    choose_radio(page, "input[name=acting_for]", f"input[value='{org_id}']")
    got, page = sent_to_torch(page, lambda: press_on(page, "button.primary"))
    assert got["state"] == "s-agent" and got["code"]
