"""Agents (代办, product.md flow 7) against PostgreSQL: an organisation designates
natural persons, lists and revokes them; a person sees the organisations it acts
for; ``acts_for`` answers business systems."""

from __future__ import annotations

import threading
import uuid

import pytest
from accounts import agents, profile, reviewers
from contracts.errors import Forbidden, InvalidInput, NotFound

from tests import identity_data as gen
from tests.integration.accounts.helpers import apply_outcome, register, register_org

pytestmark = pytest.mark.integration


def verified_org(deps, otp) -> tuple[dict, str]:
    """A registered organisation whose real-name verification passed."""
    body, registered = register_org(deps, otp)
    org_id = registered["account_id"]
    assert apply_outcome(deps, "verification_passed", org_id, "organization")
    return body, org_id


def person(deps, otp, **overrides) -> tuple[dict, str]:
    body, registered = register(deps, otp, **overrides)
    return body, registered["account_id"]


def agent_events(events, org_id: str) -> list[tuple[str, dict]]:
    return [
        (kind, data)
        for kind, data in events()
        if kind.startswith("agent_") and data.get("organization_id") == org_id
    ]


def field_codes(error: InvalidInput) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in error.details["errors"]]


def refused_designation(deps, org_id: str, login_name) -> InvalidInput:
    """The field error a designation is refused with (the tests read its codes)."""
    with pytest.raises(InvalidInput) as err:
        agents.designate_agent(deps, org_id, login_name)
    return err.value


# --- designate, list, revoke -------------------------------------------------------------


def test_an_organisation_designates_lists_and_revokes_an_agent(
    deps, otp, clock, events
):
    org_body, org_id = verified_org(deps, otp)
    body, person_id = person(deps, otp, name="欧阳娜娜")

    answer = agents.designate_agent(deps, org_id, body["login_name"].upper())
    agent = {
        "person_id": person_id,
        "login_name": body["login_name"],  # as registered, not as typed
        "name": "欧***",
        "granted_at": clock().isoformat(),
    }
    assert answer == {"agent": agent}
    assert agents.list_agents(deps, org_id) == {"items": [agent]}
    code = org_body["credit_code"]
    assert agents.list_represented_organizations(deps, person_id) == {
        "items": [
            {
                "organization_id": org_id,
                "name": org_body["name"],
                "unique_code": f"{code[:3]}********{code[-2:]}",
                "granted_at": clock().isoformat(),
            }
        ]
    }
    assert agents.acts_for(deps, person_id, org_id) is True

    clock.advance(minutes=5)
    revoked = agents.revoke_agent(deps, org_id, person_id)
    assert revoked == {"person_id": person_id, "revoked_at": clock().isoformat()}
    # at once: nothing to list, and business systems are told no
    assert agents.list_agents(deps, org_id) == {"items": []}
    assert agents.list_represented_organizations(deps, person_id) == {"items": []}
    assert agents.acts_for(deps, person_id, org_id) is False

    ids = {"organization_id": org_id, "person_id": person_id}
    assert agent_events(events, org_id) == [
        ("agent_designated", ids),
        ("agent_revoked", ids),
    ]


def test_identity_claims_for_sso_carry_the_name_status_and_current_agencies(
    deps, otp, clock
):
    org_body, org_id = verified_org(deps, otp)
    body, person_id = person(deps, otp, name="欧阳娜娜")
    agents.designate_agent(deps, org_id, body["login_name"])

    claims = profile.get_identity_claims(deps, person_id)

    assert claims == {
        "account_id": person_id,
        "kind": "person",
        "name": "欧阳娜娜",
        "real_name_status": "pending",  # registered, verification under way
        "represented_organizations": agents.list_represented_organizations(
            deps, person_id
        )["items"],
    }
    assert len(claims["represented_organizations"]) == 1
    organization = profile.get_identity_claims(deps, org_id)
    assert organization["name"] == org_body["name"]
    assert organization["real_name_status"] == "passed"
    assert organization["represented_organizations"] == []
    agents.revoke_agent(deps, org_id, person_id)
    assert (
        profile.get_identity_claims(deps, person_id)["represented_organizations"] == []
    )
    with pytest.raises(NotFound):
        profile.get_identity_claims(deps, str(uuid.uuid4()))


def test_designating_again_after_a_revocation_reactivates_with_a_new_grant(
    deps, otp, clock, events
):
    _, org_id = verified_org(deps, otp)
    body, person_id = person(deps, otp)
    first = agents.designate_agent(deps, org_id, body["login_name"])["agent"]
    clock.advance(hours=1)
    agents.revoke_agent(deps, org_id, person_id)
    clock.advance(hours=1)

    again = agents.designate_agent(deps, org_id, body["login_name"])["agent"]
    assert again["granted_at"] == clock().isoformat() != first["granted_at"]
    assert agents.list_agents(deps, org_id)["items"] == [again]
    assert agents.acts_for(deps, person_id, org_id) is True
    assert [kind for kind, _ in agent_events(events, org_id)] == [
        "agent_designated",
        "agent_revoked",
        "agent_designated",
    ]


def test_an_active_agent_cannot_be_designated_twice(deps, otp, events):
    _, org_id = verified_org(deps, otp)
    body, _ = person(deps, otp)
    agents.designate_agent(deps, org_id, body["login_name"])
    error = refused_designation(deps, org_id, body["login_name"].upper())
    assert field_codes(error) == [("login_name", "agent_already_designated")]
    assert len(agents.list_agents(deps, org_id)["items"]) == 1
    assert len(agent_events(events, org_id)) == 1


def test_agents_are_listed_oldest_first_and_per_organisation(deps, otp, clock):
    _, org_id = verified_org(deps, otp)
    _, other_org = verified_org(deps, otp)
    first, first_id = person(deps, otp)
    second, second_id = person(deps, otp)
    agents.designate_agent(deps, org_id, first["login_name"])
    clock.advance(seconds=1)
    agents.designate_agent(deps, org_id, second["login_name"])
    agents.designate_agent(deps, other_org, second["login_name"])

    listed = agents.list_agents(deps, org_id)["items"]
    assert [a["person_id"] for a in listed] == [first_id, second_id]
    assert [a["person_id"] for a in agents.list_agents(deps, other_org)["items"]] == [
        second_id
    ]
    mine = agents.list_represented_organizations(deps, second_id)["items"]
    assert [o["organization_id"] for o in mine] == [org_id, other_org]

    # one organisation revoking leaves the other's designation alone
    agents.revoke_agent(deps, org_id, second_id)
    assert agents.acts_for(deps, second_id, other_org) is True
    assert agents.acts_for(deps, second_id, org_id) is False


# --- who may, whom --------------------------------------------------------------------------


def test_no_such_person_is_one_answer_for_unknown_names_organisations_and_staff(
    deps, otp, events
):
    _, org_id = verified_org(deps, otp)
    other_body, _ = register_org(deps, otp)
    staff_name = gen.login_name(prefix="staff")
    reviewers.create_reviewer(deps, staff_name, "李审核")

    answers = []
    for name in ("nobody_is_called_this", other_body["login_name"], staff_name.upper()):
        error = refused_designation(deps, org_id, name)
        answers.append((error.error_code, error.message, error.details))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][2]["errors"] == [
        {
            "field": "login_name",
            "code": "agent_not_found",
            "message": "No natural-person account has this name",
        }
    ]
    assert agent_events(events, org_id) == []


@pytest.mark.parametrize(
    ("login_name", "code"),
    [
        (None, "required"),
        ("", "required"),
        ("x!", "login_name_invalid"),
        (42, "login_name_invalid"),
    ],
)
def test_a_missing_or_malformed_login_name_is_a_field_error(
    deps, otp, login_name, code
):
    _, org_id = verified_org(deps, otp)
    error = refused_designation(deps, org_id, login_name)
    assert field_codes(error) == [("login_name", code)]


def test_only_a_verified_organisation_designates_unless_the_rule_is_lifted(
    deps, make_deps, otp, events
):
    _, registered = register_org(deps, otp)  # pending: verification not done
    org_id = registered["account_id"]
    body, person_id = person(deps, otp)
    with pytest.raises(Forbidden) as err:
        agents.designate_agent(deps, org_id, body["login_name"])
    assert err.value.error_code == "organization_not_verified"
    assert agents.acts_for(deps, person_id, org_id) is False
    assert agent_events(events, org_id) == []

    lenient = make_deps(agents_require_verified_organization=False)
    agents.designate_agent(lenient, org_id, body["login_name"])
    assert agents.acts_for(deps, person_id, org_id) is True


def test_persons_and_staff_do_not_have_agents_and_organisations_are_no_agents(
    deps, otp
):
    _, org_id = verified_org(deps, otp)
    body, person_id = person(deps, otp)
    other, _ = person(deps, otp)
    staff = reviewers.create_reviewer(deps, gen.login_name(prefix="staff"), "王审核")
    for account_id in (person_id, staff["account_id"]):
        for call in (
            lambda a: agents.designate_agent(deps, a, other["login_name"]),
            lambda a: agents.list_agents(deps, a),
            lambda a: agents.revoke_agent(deps, a, person_id),
        ):
            with pytest.raises(Forbidden) as err:
                call(account_id)
            assert err.value.error_code == "organization_only"
    for account_id in (org_id, staff["account_id"]):
        with pytest.raises(Forbidden) as err:
            agents.list_represented_organizations(deps, account_id)
        assert err.value.error_code == "person_only"
    for call in (
        lambda a: agents.designate_agent(deps, a, body["login_name"]),
        lambda a: agents.list_agents(deps, a),
        lambda a: agents.revoke_agent(deps, a, person_id),
        lambda a: agents.list_represented_organizations(deps, a),
    ):
        with pytest.raises(NotFound) as err:
            call(str(uuid.uuid4()))
        assert err.value.error_code == "account_not_found"


# --- the cap --------------------------------------------------------------------------------


def test_the_cap_counts_active_agents_only(make_deps, otp, events):
    deps = make_deps(agents_per_organization=2)
    _, org_id = verified_org(deps, otp)
    people = [person(deps, otp) for _ in range(3)]
    for body, _ in people[:2]:
        agents.designate_agent(deps, org_id, body["login_name"])
    error = refused_designation(deps, org_id, people[2][0]["login_name"])
    assert error.details["limit"] == 2
    assert field_codes(error) == [("login_name", "agent_limit_reached")]
    # an active agent asked again is told so, not about the cap
    error = refused_designation(deps, org_id, people[0][0]["login_name"])
    assert field_codes(error) == [("login_name", "agent_already_designated")]

    agents.revoke_agent(deps, org_id, people[0][1])
    agents.designate_agent(deps, org_id, people[2][0]["login_name"])
    listed = {a["person_id"] for a in agents.list_agents(deps, org_id)["items"]}
    assert listed == {people[1][1], people[2][1]}
    assert len(agent_events(events, org_id)) == 4


# --- revoke, acts_for -------------------------------------------------------------------------


def test_revoking_anything_but_an_active_agent_of_mine_is_not_found(deps, otp, events):
    _, org_id = verified_org(deps, otp)
    _, other_org = verified_org(deps, otp)
    body, person_id = person(deps, otp)
    _, stranger_id = person(deps, otp)
    agents.designate_agent(deps, other_org, body["login_name"])

    for target in (stranger_id, person_id, "not-a-uuid", str(uuid.uuid4())):
        with pytest.raises(NotFound) as err:
            agents.revoke_agent(deps, org_id, target)
        assert err.value.error_code == "agent_not_found"
    assert agents.acts_for(deps, person_id, other_org) is True  # untouched

    agents.designate_agent(deps, org_id, body["login_name"])
    agents.revoke_agent(deps, org_id, person_id)
    with pytest.raises(NotFound):  # already revoked
        agents.revoke_agent(deps, org_id, person_id)
    assert [kind for kind, _ in agent_events(events, org_id)] == [
        "agent_designated",
        "agent_revoked",
    ]


def test_acts_for_is_false_for_anything_unknown(deps, otp):
    _, org_id = verified_org(deps, otp)
    body, person_id = person(deps, otp)
    agents.designate_agent(deps, org_id, body["login_name"])
    assert agents.acts_for(deps, person_id, org_id) is True
    assert agents.acts_for(deps, org_id, person_id) is False  # the other way round
    for args in (
        (person_id, str(uuid.uuid4())),
        (str(uuid.uuid4()), org_id),
        ("not-a-uuid", org_id),
        (person_id, None),
    ):
        assert agents.acts_for(deps, *args) is False


# --- races ------------------------------------------------------------------------------------


def race(calls) -> list[object]:
    """Run ``calls`` on threads released together; each result or its error."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index, call):
        barrier.wait(timeout=10)
        try:
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the error is the result
            results[index] = exc

    threads = [
        threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results


def outcome_codes(results) -> list[str]:
    """Each racer's outcome: ``designated`` or its field error's code (anything
    else, a crash included, shows as itself and fails the comparison)."""

    def code(result) -> str:
        if isinstance(result, InvalidInput):
            return ",".join(code for _, code in field_codes(result))
        if isinstance(result, dict) and "agent" in result:
            return "designated"
        return repr(result)

    return sorted(code(r) for r in results)


@pytest.mark.parametrize("round_", range(3))
def test_two_designations_of_one_person_at_once_grant_once(
    make_deps, otp, events, round_
):
    deps = make_deps()
    _, org_id = verified_org(deps, otp)
    body, person_id = person(deps, otp)
    name = body["login_name"]
    one, two = make_deps(), make_deps()  # separate database sessions

    results = race(
        [
            lambda: agents.designate_agent(one, org_id, name),
            lambda: agents.designate_agent(two, org_id, name.upper()),
        ]
    )
    assert outcome_codes(results) == ["agent_already_designated", "designated"]
    assert [a["person_id"] for a in agents.list_agents(deps, org_id)["items"]] == [
        person_id
    ]
    assert [kind for kind, _ in agent_events(events, org_id)] == ["agent_designated"]


@pytest.mark.parametrize("round_", range(3))
def test_designations_racing_for_the_last_place_fill_it_once(
    make_deps, otp, events, round_
):
    deps = make_deps()
    _, org_id = verified_org(deps, otp)
    names = [person(deps, otp)[0]["login_name"] for _ in range(4)]
    racers = [make_deps(agents_per_organization=1) for _ in names]

    results = race(
        [
            lambda d=d, n=n: agents.designate_agent(d, org_id, n)
            for d, n in zip(racers, names, strict=True)
        ]
    )
    assert outcome_codes(results) == ["agent_limit_reached"] * 3 + ["designated"]
    assert len(agents.list_agents(deps, org_id)["items"]) == 1
    assert len(agent_events(events, org_id)) == 1
