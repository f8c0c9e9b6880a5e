"""The agents routes (flow 7) with a fake RPC pool: designating, refusals, listing,
revoking, my organisations.
"""

from __future__ import annotations

import pytest
from contracts import errors as ce

from tests.unit.gateway.accounts_app import API, BEARER, calls, client
from tests.unit.gateway.fakes import ACCOUNT

AGENT = {
    "person_id": "0b6f7c1e-2c55-4d1f-9a7e-3f1d2a6b9c40",
    "login_name": "li_na",
    "name": "李*",
    "granted_at": "2026-11-28T08:00:00+08:00",
}


def test_designating_an_agent_sends_the_login_name_only_and_answers_201():
    http, rpc = client(
        {
            ("accounts", "designate_agent"): lambda account_id, login_name: {
                "agent": AGENT
            }
        }
    )
    result = http.simulate_post(
        f"{API}/me/agents",
        headers=BEARER,
        json={"login_name": "LI_NA", "organization_id": "someone-else"},
    )
    assert result.status_code == 201
    assert result.json == {"agent": AGENT}
    assert result.headers["Cache-Control"] == "no-store"
    assert calls(rpc, "designate_agent") == [
        {"account_id": ACCOUNT["account_id"], "login_name": "LI_NA"}
    ]


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ce.Forbidden("organization_only", "x"), 403, "organization_only"),
        (
            ce.Forbidden("organization_not_verified", "x"),
            403,
            "organization_not_verified",
        ),
        (
            ce.InvalidInput(
                "validation_failed",
                "x",
                {
                    "errors": [
                        {
                            "field": "login_name",
                            "code": "agent_limit_reached",
                            "message": "m",
                        }
                    ],
                    "limit": 20,
                },
            ),
            422,
            "validation_failed",
        ),
    ],
)
def test_designation_refusals_come_from_accounts(error, status, code):
    def refuse(account_id, login_name):
        raise error

    http, _ = client({("accounts", "designate_agent"): refuse})
    result = http.simulate_post(
        f"{API}/me/agents", headers=BEARER, json={"login_name": "li_na"}
    )
    assert (result.status_code, result.json["code"]) == (status, code)
    assert result.headers["Content-Type"] == "application/problem+json"
    if status == 422:
        assert result.json["errors"][0]["code"] == "agent_limit_reached"
        assert result.json["limit"] == 20


def test_agents_need_a_session_and_a_csrf_token_with_the_cookie():
    http, rpc = client({("accounts", "designate_agent"): lambda **kw: {"agent": AGENT}})
    assert http.simulate_get(f"{API}/me/agents").status_code == 401
    assert http.simulate_get(f"{API}/me/organizations").status_code == 401
    assert (
        http.simulate_delete(f"{API}/me/agents/{AGENT['person_id']}").status_code == 401
    )
    result = http.simulate_post(
        f"{API}/me/agents",
        headers={"Cookie": "__Host-session=good-token"},
        json={"login_name": "li_na"},
    )
    assert (result.status_code, result.json["code"]) == (403, "csrf_token_invalid")
    assert calls(rpc, "designate_agent") == []


def test_listing_and_revoking_agents_and_my_organisations():
    organizations = {
        "items": [
            {
                "organization_id": "o",
                "name": "n",
                "unique_code": "913*************43",
                "granted_at": "2026-11-28T08:00:00+08:00",
            }
        ]
    }
    http, rpc = client(
        {
            ("accounts", "list_agents"): lambda account_id: {"items": [AGENT]},
            ("accounts", "revoke_agent"): lambda account_id, person_id: {
                "person_id": person_id,
                "revoked_at": "2026-11-28T09:00:00+08:00",
            },
            ("accounts", "list_represented_organizations"): lambda account_id: (
                organizations
            ),
        }
    )
    listed = http.simulate_get(f"{API}/me/agents", headers=BEARER)
    assert (listed.status_code, listed.json) == (200, {"items": [AGENT]})
    revoked = http.simulate_delete(
        f"{API}/me/agents/{AGENT['person_id']}", headers=BEARER
    )
    assert revoked.status_code == 204 and not revoked.content
    assert calls(rpc, "revoke_agent") == [
        {"account_id": ACCOUNT["account_id"], "person_id": AGENT["person_id"]}
    ]
    mine = http.simulate_get(f"{API}/me/organizations", headers=BEARER)
    assert (mine.status_code, mine.json) == (200, organizations)
    assert calls(rpc, "list_represented_organizations") == [
        {"account_id": ACCOUNT["account_id"]}
    ]


def test_revoking_what_is_not_an_agent_is_404():
    def refuse(account_id, person_id):
        raise ce.NotFound("agent_not_found", "not an agent")

    http, _ = client({("accounts", "revoke_agent"): refuse})
    result = http.simulate_delete(f"{API}/me/agents/nope", headers=BEARER)
    assert (result.status_code, result.json["code"]) == (404, "agent_not_found")
