"""The CAS 3.0 façade in the gateway: the XML and JSON answers of a ticket
validation, and /cas/login's decisions over a fake sso and accounts."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import falcon.testing
from contracts.errors import Forbidden
from contracts.sso_cas import CasValidation
from gateway.app import create_app
from gateway.cas import responses
from gateway.settings import Settings

from tests.unit.gateway.fakes import FakeRedis, FakeRpc
from tests.unit.gateway.test_oidc_routes import fake_sso

SESSION = fake_sso([]).answers[("accounts", "resolve_session")]

NS = {"cas": "http://www.yale.edu/tp/cas"}
SERVICE = "https://stats.example.gov.cn/cas?lang=zh"
SUCCESS = CasValidation(
    user="acc-1",
    attributes={
        "name": "张三 <&>",
        "trust_level": 2,
        "isFromNewLogin": False,
        "bad name": "never",
    },
)


def xml_of(text: str) -> ET.Element:
    return ET.fromstring(text)  # noqa: S314 - our own rendering


# --- the answers ---------------------------------------------------------------------------


def test_a_success_in_xml_has_the_user_and_the_attributes_escaped():
    root = xml_of(responses.as_xml(SUCCESS))

    assert root.tag == "{http://www.yale.edu/tp/cas}serviceResponse"
    success = root.find("cas:authenticationSuccess", NS)
    assert success.find("cas:user", NS).text == "acc-1"
    attributes = success.find("cas:attributes", NS)
    assert attributes.find("cas:name", NS).text == "张三 <&>"
    assert attributes.find("cas:trust_level", NS).text == "2"
    assert attributes.find("cas:isFromNewLogin", NS).text == "false"
    # a name that is no XML element name is left out, never breaks the document
    assert len(attributes) == 3


def test_the_cas_2_answer_has_no_attributes():
    root = xml_of(responses.as_xml(SUCCESS, with_attributes=False))

    success = root.find("cas:authenticationSuccess", NS)
    assert success.find("cas:user", NS).text == "acc-1"
    assert success.find("cas:attributes", NS) is None
    assert json.loads(responses.as_json(SUCCESS, with_attributes=False)) == {
        "serviceResponse": {"authenticationSuccess": {"user": "acc-1"}}
    }


def test_a_failure_in_xml_and_json_carries_the_code_and_the_description():
    failure = responses.failure("INVALID_TICKET", 'Ticket "ST-1" <not> recognized')

    element = xml_of(responses.as_xml(failure)).find("cas:authenticationFailure", NS)
    assert element.attrib["code"] == "INVALID_TICKET"
    assert element.text == 'Ticket "ST-1" <not> recognized'
    assert json.loads(responses.as_json(failure)) == {
        "serviceResponse": {
            "authenticationFailure": {
                "code": "INVALID_TICKET",
                "description": 'Ticket "ST-1" <not> recognized',
            }
        }
    }


def test_a_success_in_json_keeps_the_values_types():
    body = json.loads(responses.as_json(SUCCESS))

    success = body["serviceResponse"]["authenticationSuccess"]
    assert success["user"] == "acc-1"
    assert success["attributes"]["trust_level"] == 2
    assert success["attributes"]["isFromNewLogin"] is False


def test_format_json_picks_json_and_anything_else_xml():
    assert responses.render(SUCCESS, "json", True)[0].startswith("application/json")
    assert responses.render(SUCCESS, None, True)[0].startswith("application/xml")
    assert responses.render(SUCCESS, "HTML", True)[0].startswith("application/xml")


# --- /cas/login ------------------------------------------------------------------------------


def fake(issued: list, refuse: str | None = None) -> FakeRpc:
    def issue_service_ticket(request):
        if refuse:
            raise Forbidden(refuse, "no")
        issued.append(request)
        return {"ticket": "ST-abc", "expires_in": 10, "from_new_login": False}

    return FakeRpc(
        {
            ("sso", "get_cas_service"): lambda service_url: (
                {"client_id": "stats", "name_zh": "统计", "name_en": "Statistics"}
                if service_url == SERVICE
                else None
            ),
            ("sso", "issue_service_ticket"): issue_service_ticket,
            ("sso", "start_cas_renewal"): lambda session_id: {
                "renewal_id": f"ren-after-{session_id}",
                "expires_in": 600,
            },
            # the session "live-session" (ses-1, acc-1) of the OIDC tests
            ("accounts", "resolve_session"): SESSION,
        }
    )


def login(rpc: FakeRpc, session: str | None = "live-session", **params):
    app = create_app(Settings(environment="test"), rpc, FakeRedis())
    headers = {"Cookie": f"__Host-session={session}"} if session else {}
    return falcon.testing.TestClient(app).simulate_get(
        "/cas/login", params={"service": SERVICE, **params}, headers=headers
    )


def next_of(result) -> str:
    return parse_qs(urlsplit(result.headers["Location"]).query)["next"][0]


def test_a_session_gets_a_ticket_appended_to_the_service_url():
    issued: list = []
    result = login(fake(issued))

    assert result.status_code == 302
    assert result.headers["Location"] == SERVICE + "&ticket=ST-abc"
    (request,) = issued
    assert request["service"] == SERVICE
    assert request["session_id"] == "ses-1"
    assert request["renew"] is False


def test_an_unregistered_service_is_an_error_page_in_the_frame():
    result = login(fake([]), service=SERVICE + "/evil")

    assert result.status_code == 400
    assert "Location" not in result.headers
    assert result.headers["Content-Type"].startswith("text/html")
    assert "未登记为任何业务系统的 CAS 服务地址" in result.text
    assert "cas_service_not_registered" in result.text


def test_without_a_session_the_login_page_comes_back_with_a_renewal():
    result = login(fake([]), session=None)

    assert result.headers["Location"].startswith("/login?")
    back = parse_qs(urlsplit(next_of(result)).query)
    assert back["service"] == [SERVICE]
    assert back["cas_renewal"] == ["ren-after-None"]


def test_gateway_without_a_session_goes_back_to_the_service_without_a_ticket():
    result = login(fake([]), session=None, gateway="true")

    assert result.status_code == 302
    assert result.headers["Location"] == SERVICE


def test_renew_with_a_session_asks_for_the_login_and_wins_over_gateway():
    issued: list = []
    result = login(fake(issued), renew="true", gateway="true")

    assert result.headers["Location"].startswith("/login?")
    assert "cas_renewal=ren-after-ses-1" in next_of(result)
    assert issued == []


def test_an_agent_is_asked_as_whom_they_enter():
    result = login(fake([], refuse="account_selection_required"), acting_choice="old")

    assert result.headers["Location"].startswith("/sso/acting-for?")
    back = next_of(result)
    assert back.startswith("/cas/login?")
    assert "acting_choice" not in back


def test_an_account_the_system_does_not_admit_gets_a_403_page():
    result = login(fake([], refuse="real_name_required"))

    assert result.status_code == 403
    assert "Location" not in result.headers
    assert "该业务系统要求先完成实名认证" in result.text


def test_a_validation_while_sso_is_down_is_internal_error():
    rpc = FakeRpc({})  # sso answers nothing
    app = create_app(Settings(environment="test"), rpc, FakeRedis())
    result = falcon.testing.TestClient(app).simulate_get(
        "/cas/p3/serviceValidate", params={"service": SERVICE, "ticket": "ST-1"}
    )

    assert result.status_code == 503
    assert result.headers["Retry-After"]
    element = xml_of(result.text).find("cas:authenticationFailure", NS)
    assert element.attrib["code"] == "INTERNAL_ERROR"
