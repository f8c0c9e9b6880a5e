"""The CAS 3.0 façade (sso.md) over HTTP, every service a real process.

The business system's side is ``python-cas`` (a CAS client library independent of
the portal) for the login URL, the CAS 3.0 and 2.0 validations and the single
logout request; the negative cases are raw HTTP. The browser is ``requests``
carrying the portal's session cookie, as in test_sso.py.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import sqlalchemy as sa
from cas import CASClient

from tests.support import client
from tests.support.demo import sso_cli
from tests.support.isolation import free_port
from tests.support.oidc import (
    browse,
    choose_acting_for,
    origin,
    query_of,
    sso_database,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e

CAS_NS = {"cas": "http://www.yale.edu/tp/cas"}


class CasApp:
    """A business system that speaks CAS: its service URL answers the browser
    (GET) and keeps each single logout request (POST ``logoutRequest``)."""

    def __init__(self):
        self.logout_requests: list[str] = []
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                app.logout_requests.extend(form.get("logoutRequest", []))
                self.do_GET()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        base = f"http://127.0.0.1:{self.server.server_port}"
        self.service = f"{base}/cas-app/"
        self.other_service = f"{base}/other-app/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def register_cas_system(stack, folder, services, kinds="[person, organization]"):
    """A CAS-only business system (no secret, no redirect URI) with the service
    URLs ``services``; its client id."""
    client_id = f"cas-{secrets.token_hex(4)}"
    file = folder / f"{client_id}.yml"
    file.write_text(
        "clients:\n"
        f"  - client_id: {client_id}\n"
        f"    cas_services: [{', '.join(services)}]\n"
        f"    account_kinds: {kinds}\n"
        "    name_zh: 测试 CAS 系统\n"
        "    name_en: A CAS system\n",
        encoding="utf-8",
    )
    assert sso_cli(stack, "add-client", str(file)) == {"registered": 1}
    return client_id


@pytest.fixture(scope="module")
def cas_app():
    app = CasApp()
    yield app
    app.close()


@pytest.fixture(scope="module")
def registered(stack, cas_app, tmp_path_factory):
    services = [cas_app.service, cas_app.other_service]
    return register_cas_system(stack, tmp_path_factory.mktemp("cas"), services)


@pytest.fixture
def person(stack, registered):
    """A person who logged in at the portal: (registration body, account, token)."""
    body, account = client.register_person(stack.url)
    return body, account, client.token_of(stack.url, body)


def cas_client(stack, service: str, version: int = 3, **kwargs) -> CASClient:
    return CASClient(
        version=version,
        service_url=service,
        server_url=f"{origin(stack)}/cas/",
        **kwargs,
    )


def ticket_for(stack, service: str, token: str | None, **params) -> str:
    """The browser opens /cas/login with its portal session: the service ticket
    it is sent back to the service with."""
    answer = browse(login_url(stack, service, **params), token)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(service + "?ticket=ST-"), location
    return query_of(location)["ticket"]


def login_url(stack, service: str, **params) -> str:
    return f"{origin(stack)}/cas/login?{urlencode({'service': service, **params})}"


def validate(stack, service: str | None, ticket: str | None, **params):
    query = {"service": service, "ticket": ticket, **params}
    return requests.get(
        f"{origin(stack)}/cas/p3/serviceValidate",
        params={k: v for k, v in query.items() if v is not None},
        timeout=10,
    )


def failure_of(answer: requests.Response) -> tuple[str, str]:
    """(code, description) of an XML ``cas:authenticationFailure``."""
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(answer.text)  # noqa: S314 - the gateway under test
    element = root.find("cas:authenticationFailure", CAS_NS)
    assert element is not None, answer.text
    return element.attrib["code"], element.text


# --- a business system enters with the portal session -----------------------------------


def test_python_cas_enters_with_the_portal_session(
    live_stack, cas_app, registered, person
):
    body, account, token = person
    cas = cas_client(live_stack, cas_app.service)
    answer = browse(cas.get_login_url(), token)

    assert answer.status_code == 302
    ticket = query_of(answer.headers["Location"])["ticket"]
    user, attributes, pgtiou = cas.verify_ticket(ticket)

    assert user == account["account_id"]  # the sub OIDC gives (test_sso.py)
    assert attributes["name"] == body["name"]
    assert attributes["account_kind"] == "person"
    # verification runs on its own: the status as it was then, or is now
    now = client.real_name_status(live_stack.url, token)
    assert attributes["real_name_status"] in (account["real_name_status"], now)
    assert attributes["trust_level"] in ("1", "2")
    assert attributes["isFromNewLogin"] == "false"  # single sign-on, no login
    assert "acting_for_organization_id" not in attributes
    assert pgtiou is None  # no proxy tickets
    # audited as OIDC releases are, and in the SSO session registry
    engine = sso_database(live_stack)
    with engine.begin() as conn:
        released = conn.execute(
            sa.text(
                "SELECT client_id, claims FROM releases"
                " WHERE account_id = :a AND channel = 'cas'"
            ),
            {"a": account["account_id"]},
        ).all()
        entered = conn.execute(
            sa.text("SELECT client_id FROM session_entries WHERE account_id = :a"),
            {"a": account["account_id"]},
        ).all()
    engine.dispose()
    assert [row.client_id for row in released] == [registered]
    assert {"sub", "name", "account_kind"} <= set(released[0].claims)
    assert [row.client_id for row in entered] == [registered]


def test_the_cas_2_endpoint_and_the_json_format(live_stack, cas_app, person):
    _, account, token = person
    v2 = cas_client(live_stack, cas_app.service, version=2)
    user, attributes, _ = v2.verify_ticket(
        ticket_for(live_stack, v2.service_url, token)
    )
    assert user == account["account_id"]
    assert attributes is None  # CAS 2.0 has no attributes

    ticket = ticket_for(live_stack, cas_app.service, token)
    answer = validate(live_stack, cas_app.service, ticket, format="JSON")

    assert answer.headers["Content-Type"].startswith("application/json")
    success = answer.json()["serviceResponse"]["authenticationSuccess"]
    assert success["user"] == account["account_id"]
    assert success["attributes"]["account_kind"] == "person"
    assert success["attributes"]["trust_level"] in (1, 2)


# --- what the façade refuses -------------------------------------------------------------


def test_a_ticket_validated_twice_fails_the_second_time(live_stack, cas_app, person):
    ticket = ticket_for(live_stack, cas_app.service, person[2])
    assert cas_client(live_stack, cas_app.service).verify_ticket(ticket)[0]

    code, description = failure_of(validate(live_stack, cas_app.service, ticket))
    assert code == "INVALID_TICKET"
    assert ticket in description


def test_an_expired_ticket_is_refused(live_stack, cas_app, person):
    ticket = ticket_for(live_stack, cas_app.service, person[2])
    # a ticket lives at most 10 s: age this one rather than wait
    engine = sso_database(live_stack)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE cas_tickets SET expires_at = now() - interval '1 second'"
                " WHERE ticket_hash = :h"
            ),
            {"h": hashlib.sha256(ticket.encode()).hexdigest()},
        )
    engine.dispose()

    code, _ = failure_of(validate(live_stack, cas_app.service, ticket, format="XML"))
    assert code == "INVALID_TICKET"


def test_a_ticket_of_another_service_is_invalid_service_and_spent(
    live_stack, cas_app, person
):
    ticket = ticket_for(live_stack, cas_app.service, person[2])

    code, _ = failure_of(validate(live_stack, cas_app.other_service, ticket))
    assert code == "INVALID_SERVICE"
    # spent: its own service cannot use it after the attempt
    assert cas_client(live_stack, cas_app.service).verify_ticket(ticket)[0] is None
    code, _ = failure_of(validate(live_stack, cas_app.service, ticket))
    assert code == "INVALID_TICKET"


@pytest.mark.parametrize(
    ("service", "ticket"),
    [(None, "ST-0123456789abcdef"), ("SERVICE", None), (None, None)],
    ids=["no-service", "no-ticket", "neither"],
)
def test_a_validation_without_service_or_ticket_is_invalid_request(
    live_stack, cas_app, service, ticket
):
    service = cas_app.service if service == "SERVICE" else service
    answer = validate(live_stack, service, ticket, format="JSON")

    failure = answer.json()["serviceResponse"]["authenticationFailure"]
    assert failure["code"] == "INVALID_REQUEST"


@pytest.mark.parametrize("ticket", ["ST-unknown0000000000", "PT-123", "ST-<x>", "x"])
def test_an_unknown_or_malformed_ticket_is_invalid_ticket(live_stack, cas_app, ticket):
    code, _ = failure_of(validate(live_stack, cas_app.service, ticket))
    assert code == "INVALID_TICKET"


@pytest.mark.parametrize(
    "suffix",
    ["x", "?next=/", "/../cas-app/", "#a"],
)
def test_a_look_alike_service_gets_an_error_page_not_a_redirect(
    live_stack, cas_app, person, suffix
):
    answer = browse(login_url(live_stack, cas_app.service + suffix), person[2])

    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "未登记为任何业务系统的 CAS 服务地址" in answer.text


def test_an_unregistered_service_gets_an_error_page_even_without_a_session(
    live_stack,
):
    answer = browse(login_url(live_stack, "http://127.0.0.1:1/evil"), None)

    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert "未登记为任何业务系统的 CAS 服务地址" in answer.text


def test_an_account_kind_the_business_system_does_not_admit_gets_an_error_page(
    live_stack, tmp_path, person
):
    app = CasApp()
    try:
        register_cas_system(live_stack, tmp_path, [app.service], "[organization]")
        answer = browse(login_url(live_stack, app.service), person[2])
    finally:
        app.close()

    assert answer.status_code == 403
    assert "Location" not in answer.headers
    assert "该业务系统不接受此类账号" in answer.text


# --- login, gateway and renew ------------------------------------------------------------


def test_gateway_without_a_session_goes_back_without_a_ticket(
    live_stack, cas_app, person
):
    answer = browse(login_url(live_stack, cas_app.service, gateway="true"), None)

    assert answer.status_code == 302
    assert answer.headers["Location"] == cas_app.service
    # with a session, gateway changes nothing: a ticket
    assert ticket_for(live_stack, cas_app.service, person[2], gateway="true")


def test_without_a_session_the_login_comes_first_and_is_new(
    live_stack, cas_app, person
):
    body, account, _ = person
    answer = browse(login_url(live_stack, cas_app.service), None)

    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith("/login?")
    back = query_of(location)["next"]
    assert back.startswith("/cas/login?")
    token = client.token_of(live_stack.url, body)  # the login page's login
    ticket = ticket_for_path(live_stack, back, token, cas_app.service)

    user, attributes, _ = cas_client(live_stack, cas_app.service).verify_ticket(ticket)
    assert user == account["account_id"]
    assert attributes["isFromNewLogin"] == "true"


def ticket_for_path(stack, path: str, token: str, service: str) -> str:
    answer = browse(origin(stack) + path, token)
    assert answer.status_code == 302, answer.text
    assert answer.headers["Location"].startswith(service + "?ticket=ST-")
    return query_of(answer.headers["Location"])["ticket"]


def test_renew_asks_for_the_password_again(live_stack, cas_app, person):
    body, account, token = person
    cas = cas_client(live_stack, cas_app.service, renew=True)
    # a ticket of single sign-on does not pass a validation that asks renew
    sso_ticket = ticket_for(live_stack, cas_app.service, token)
    code, _ = failure_of(
        validate(live_stack, cas_app.service, sso_ticket, renew="true")
    )
    assert code == "INVALID_TICKET"

    asked = browse(cas.get_login_url(), token)  # a session, but renew

    assert asked.status_code == 302
    assert asked.headers["Location"].startswith("/login?")
    back = query_of(asked.headers["Location"])["next"]
    # coming back with the old session is no new login: asked again
    again = browse(origin(live_stack) + back, token)
    assert again.headers["Location"].startswith("/login?")
    fresh = client.token_of(live_stack.url, body)
    ticket = ticket_for_path(live_stack, back, fresh, cas_app.service)
    answer = validate(live_stack, cas_app.service, ticket, renew="true", format="JSON")
    success = answer.json()["serviceResponse"]["authenticationSuccess"]
    assert success["user"] == account["account_id"]
    assert success["attributes"]["isFromNewLogin"] is True
    # the renewal was used once: the same way back asks again
    replayed = browse(origin(live_stack) + back, fresh)
    assert replayed.headers["Location"].startswith("/login?")


# --- acting for an organisation ----------------------------------------------------------


def test_an_agent_enters_for_the_organisation(live_stack, cas_app):
    url = live_stack.url
    org_body, org = client.register_organization(
        url, registry=live_stack.authority_registry
    )
    org_token = client.token_of(url, org_body)
    client.wait_for_real_name(
        url, org_token, "passed", what="the organisation's verification to pass"
    )
    person_body, person_account = client.register_person(url)
    client.designate_agent(url, org_token, person_body["login_name"])
    agent = client.token_of(url, person_body)

    asked = browse(login_url(live_stack, cas_app.service), agent)
    assert asked.headers["Location"].startswith("/sso/acting-for?")
    back = query_of(asked.headers["Location"])["next"]
    assert back.startswith("/cas/login?")
    choice = choose_acting_for(live_stack, agent, org["account_id"])
    path = f"{back}&acting_choice={choice}"
    ticket = ticket_for_path(live_stack, path, agent, cas_app.service)

    user, attributes, _ = cas_client(live_stack, cas_app.service).verify_ticket(ticket)
    assert user == person_account["account_id"]
    assert attributes["acting_for_organization_id"] == org["account_id"]
    assert attributes["acting_for_name"] == org_body["name"]
    assert attributes["acting_for_role"] == "agent"


# --- logout --------------------------------------------------------------------------------


def test_cas_logout_ends_the_portal_session_and_sends_single_logout(
    live_stack, cas_app, person
):
    _, _, token = person
    cas = cas_client(live_stack, cas_app.service)
    ticket = ticket_for(live_stack, cas_app.service, token)
    assert cas.verify_ticket(ticket)[0]
    unvalidated = ticket_for(live_stack, cas_app.service, token)

    answer = browse(cas.get_logout_url(cas_app.service), token)

    assert answer.status_code == 302
    assert answer.headers["Location"] == cas_app.service
    me = requests.get(f"{live_stack.url}/me", headers=client.bearer(token), timeout=10)
    assert me.status_code == 401

    def received() -> list[str]:
        return [r for r in cas_app.logout_requests if ticket in r]

    requests_for_ticket = wait_for(received, timeout=30, what="the CAS logout request")
    assert len(requests_for_ticket) == 1
    assert cas.verify_logout_request(requests_for_ticket[0], ticket)
    # only a ticket a service validated is a session there
    assert not [r for r in cas_app.logout_requests if unvalidated in r]


def test_cas_logout_goes_back_only_to_a_registered_service(live_stack):
    evil = "http://127.0.0.1:1/evil"
    answer = browse(
        f"{origin(live_stack)}/cas/logout?{urlencode({'service': evil})}", None
    )

    assert answer.status_code == 302
    assert urlsplit(answer.headers["Location"]).netloc == ""
    assert answer.headers["Location"] == "/"


def test_a_password_change_elsewhere_sends_the_single_logout(
    live_stack, cas_app, person
):
    body, _, token = person
    ticket = ticket_for(live_stack, cas_app.service, token)
    assert cas_client(live_stack, cas_app.service).verify_ticket(ticket)[0]
    other = client.token_of(live_stack.url, body)

    # the password changed in another session: this one's entries end
    client.change_password(live_stack.url, other, body["password"], "Nw7!kQv3#Zr")

    def received() -> list[str]:
        return [r for r in cas_app.logout_requests if ticket in r]

    assert len(wait_for(received, timeout=30, what="the CAS logout request")) == 1
