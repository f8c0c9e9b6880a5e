"""sso's CAS rules that need no server: what a CAS business system registers,
the attributes it receives, and the single logout request a CAS client reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cas import CASClientV3
from contracts.sso import ActingFor
from pydantic import ValidationError
from sso import cas, cas_logout, clients

NAMES = {"name_zh": "统计", "name_en": "Statistics"}


def test_a_cas_only_system_registers_service_urls_and_no_secret():
    registration = clients.Registration(
        client_id="stats-cas",
        cas_services=["https://stats.example.gov.cn/cas"],
        **NAMES,
    )

    row = registration.row(datetime.now(UTC))
    assert row["cas_services"] == ["https://stats.example.gov.cn/cas"]
    assert row["redirect_uris"] == []
    assert row["secret_hash"] is None


@pytest.mark.parametrize(
    "fields",
    [
        {},  # neither redirect URIs nor CAS services
        {"cas_services": ["/cas"]},  # not absolute
        {"cas_services": ["javascript:alert(1)"]},
        {"cas_services": ["ftp://stats.example.gov.cn/"]},
    ],
)
def test_a_registration_without_a_usable_url_is_refused(fields):
    with pytest.raises(ValidationError):
        clients.Registration(client_id="stats-cas", **fields, **NAMES)


def test_the_attributes_are_the_claims_but_sub_with_the_organisation_flattened():
    user = {"sub": "acc-1", "name": "张三", "account_kind": "person", "trust_level": 2}
    org = ActingFor(organization_id="org-1", name="某公司", unique_code="911***01")

    found = cas.attributes(user, org, from_new_login=True)

    assert found == {
        "name": "张三",
        "account_kind": "person",
        "trust_level": 2,
        "acting_for_organization_id": "org-1",
        "acting_for_name": "某公司",
        "acting_for_unique_code": "911***01",
        "acting_for_role": "agent",
        "isFromNewLogin": True,
        "longTermAuthenticationRequestTokenUsed": False,
    }


def test_the_single_logout_request_names_the_ticket_as_a_cas_client_reads_it():
    request = cas_logout.logout_request("ST-0a1b2c", datetime.now(UTC))

    assert CASClientV3.verify_logout_request(request, "ST-0a1b2c")
    assert not CASClientV3.verify_logout_request(request, "ST-other")
