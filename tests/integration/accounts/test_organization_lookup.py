"""Recovery's organisation look-up: the unit by its code and every namesake."""

from __future__ import annotations

import json
import random

import pytest
from accounts import recovery_lookups
from contracts.errors import InvalidInput

from tests import identity_data as gen
from tests.integration.accounts.helpers import register_org

pytestmark = pytest.mark.integration


def test_an_organisation_appeal_finds_the_unit_by_code_and_every_namesake(deps, otp):
    """Issue 12, finding 7: eight organisations share one name. The look-up with
    the fifth one's credit code answers that one first (not the oldest), then
    every namesake, oldest first, each masked for the reviewer; none is picked."""
    rng = random.Random()
    name = f"同名科技{rng.randrange(10**8)}有限公司"
    units = [register_org(deps, otp, rng, name=name) for _ in range(8)]
    body, registered = units[4]
    found = recovery_lookups.find_organization_for_appeal(
        deps, f" {name} ", credit_code=body["credit_code"].lower()
    )
    candidates = found["candidates"]
    assert found["truncated"] is False
    assert candidates[0]["account_id"] == registered["account_id"]
    assert {c["account_id"] for c in candidates[1:]} == {
        r["account_id"] for i, (_, r) in enumerate(units) if i != 4
    }
    times = [c["registered_at"] for c in candidates[1:]]
    assert times == sorted(times)  # the namesakes oldest first
    first = candidates[0]
    assert (first["code_matches"], first["name_matches"]) == (True, True)
    assert all(c["code_matches"] is False for c in candidates[1:])
    assert all(c["name_matches"] for c in candidates)
    code = body["credit_code"]
    assert first["masked_code"] == code[:3] + "*" * 8 + code[-2:]
    legal = body["legal_representative"]["name"]
    assert first["legal_representative"] == legal[0] + "*" * (len(legal) - 1)
    agent_phone = body["main_agent"]["phone"]
    assert (
        first["masked_main_agent_phone"] == agent_phone[:2] + "*****" + agent_phone[-3:]
    )
    assert first["real_name_status"] == "pending"
    assert first["login_name"] == body["login_name"]
    assert code not in json.dumps(found) and agent_phone not in json.dumps(found)

    # a code of nobody still shows every namesake, none matching the code
    other = recovery_lookups.find_organization_for_appeal(
        deps, name, credit_code=gen.credit_code(rng)
    )
    assert len(other["candidates"]) == 8
    assert not any(c["code_matches"] for c in other["candidates"])
    # the right code under another name: that unit, its name differs
    renamed = recovery_lookups.find_organization_for_appeal(
        deps, "另一个名字", credit_code=code
    )
    assert [(c["account_id"], c["name_matches"]) for c in renamed["candidates"]] == [
        (registered["account_id"], False)
    ]


@pytest.mark.parametrize(
    ("codes", "field", "error"),
    [
        ({}, "credit_code", "credit_code_required"),
        ({"credit_code": "  "}, "credit_code", "credit_code_required"),
        ({"credit_code": "91350100M000100Y44"}, "credit_code", "credit_code_invalid"),
        ({"credit_code": "91350100M000100"}, "credit_code", "credit_code_invalid"),
        (
            {"registration_number": "?"},
            "registration_number",
            "registration_number_invalid",
        ),
    ],
)
def test_an_organisation_appeal_needs_a_code_valid_by_the_registrations_rule(
    deps, codes, field, error
):
    with pytest.raises(InvalidInput) as refused:
        recovery_lookups.find_organization_for_appeal(deps, "示例科技有限公司", **codes)
    assert refused.value.error_code == error
    assert refused.value.details["errors"][0]["field"] == field
