"""The CAS 3.0 façade in a browser: /cas/login sends to the portal's login page,
which comes back (through /continue, the pages' ``form-action 'self'``) and on
to the business system's service URL with a ticket; an unregistered service is
an error page in the portal's frame.

No business system listens at the service URL in the test stack: the request the
browser makes there is the proof, and python-cas then validates its ticket.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from cas import CASClient

from tests.browser.conftest import check
from tests.e2e.test_cas import register_cas_system
from tests.support import client
from tests.support.isolation import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module")
def service(stack, tmp_path_factory) -> str:
    """The service URL of a CAS business system registered for this module."""
    url = f"http://127.0.0.1:{free_port()}/cas-app/"
    register_cas_system(stack, tmp_path_factory.mktemp("cas"), [url])
    return url


@pytest.mark.parametrize("js", [False, True], ids=["js-off", "js-on"])
def test_the_login_page_comes_back_and_the_service_gets_a_ticket(
    stack, site, open_page, auditor, service, js
):
    body, account = client.register_person(stack.url)
    page = open_page(js=js)

    page.goto(f"{site}/cas/login?{urlencode({'service': service})}")
    page.wait_for_url("**/login?next=*")
    assert page.input_value("input[name=next]").startswith("/cas/login?")
    page.fill("#f-login_name", body["login_name"])
    page.fill("#f-password", body["password"])
    with page.expect_request(lambda r: r.url.startswith(service + "?")) as sent:
        page.click("button.primary")

    ticket = parse_qs(urlsplit(sent.value.url).query)["ticket"][0]
    cas = CASClient(version=3, service_url=service, server_url=f"{site}/cas/")
    user, attributes, _ = cas.verify_ticket(ticket)
    assert user == account["account_id"]
    assert attributes["isFromNewLogin"] == "true"


@pytest.mark.parametrize("js", [False, True], ids=["js-off", "js-on"])
def test_an_unregistered_service_is_an_error_page_in_the_frame(
    site, open_page, auditor, service, js
):
    page = open_page(js=js)
    evil = f"{site}/cas/login?{urlencode({'service': service + 'evil'})}"

    answer = page.goto(evil)

    assert answer.status == 400
    assert page.url == evil  # not redirected anywhere
    assert "未登记为任何业务系统的 CAS 服务地址" in page.inner_text("main")
    check(page, "cas_service_not_registered", auditor=None if js else auditor)
    page.goto(evil + "&lang=en")
    assert "No business system registered this address" in page.inner_text("main")
    check(page, "cas_service_not_registered", "en", None if js else auditor)
