"""The automatic check over the real stack: a person or an organisation in the registry
passes, a redelivered event opens one case, a profile change reverifies, an old
event opens nothing.
"""

from __future__ import annotations

import secrets
import time

import pytest

from tests.integration.verification.stack_world import REGISTRATIONS_QUEUE, new_name
from tests.support import client, events
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def test_a_person_in_the_registry_passes_within_seconds(w):
    started = time.monotonic()
    person = w.person(in_registry=True)
    status = w.wait_status(person.token, "passed")
    elapsed = time.monotonic() - started
    assert elapsed < 5, elapsed
    assert status["reason_code"] == "authority_match"
    assert [h["status"] for h in status["history"]] == ["pending", "passed"]
    assert [e.event_type for e in w.outcome_events([person.account_id])] == [
        "verification_passed"
    ]
    print(f"\nregistration (and login) -> passed in {elapsed:.2f}s")


def test_an_organisation_passes_only_when_all_three_match(w):
    good = w.organization()
    other_name = w.organization(name="另一家示例有限公司")
    other_representative = w.organization(legal_representative_name="另一人")
    unknown = w.organization(in_registry=False)
    ids = [a.account_id for a in (good, other_name, other_representative, unknown)]
    rows = {r.account_id: r for r in wait_for(lambda: w.decided(ids))}
    assert (rows[good.account_id].state, rows[good.account_id].reason_code) == (
        "passed",
        "authority_match",
    )
    assert [(rows[a].state, rows[a].reason_code) for a in ids[1:]] == [
        ("failed", "name_mismatch"),
        ("failed", "legal_representative_mismatch"),
        ("failed", "no_record"),
    ]


def test_a_redelivered_event_opens_one_case(w):
    person = w.person(log_in=False)
    # accounts' registration event, delivered twice more as its relay would
    # (the first delivery may still be on its way)
    [registered] = w.emitted("person_registered", person.account_id)
    w.deliver_again(registered, registered)
    wait_for(lambda: w.decided([person.account_id]))
    # a later registration's event, behind the copies in the same queue, proves
    # the copies were consumed before we count
    marker = w.person(log_in=False)
    wait_for(lambda: w.decided([marker.account_id]))
    assert len(w.cases([person.account_id])) == 1
    assert len(w.outcome_events([person.account_id])) == 1


def test_a_profile_change_that_needs_reverifying_opens_a_new_case(w):
    person = w.person(in_registry=False)
    assert w.wait_status(person.token, "failed")["reason_code"] == "no_record"
    # a change of a field the authority does not check opens nothing ...
    w.change_profile(person.token, email=f"p{secrets.token_hex(4)}@example.com")
    # ... a corrected name does: the authority knows the person by it
    corrected = new_name()
    client.add_to_registry(w.registry, person.body, name=corrected)
    w.change_profile(person.token, name=corrected)
    status = w.wait_status(person.token, "passed")
    changes = w.emitted("profile_changed", person.account_id)
    assert [e.envelope["data"]["reverify"] for e in changes] == [False, True]
    cases = w.cases([person.account_id])
    assert sorted(r.state for r in cases) == ["passed", "superseded"]
    assert [h["status"] for h in status["history"]] == [
        "pending",
        "failed",
        "superseded",
        "pending",
        "passed",
    ]


def test_an_event_older_than_the_newest_case_opens_nothing(w_stopped):
    """Accounts' events reach verification through one queue per event type, so
    a registration may arrive after a later profile change. Here the registration
    event is held back from verification's queue and given back afterwards."""
    w = w_stopped
    person = w.person()
    held = wait_for(
        lambda: events.take(w.stack.isolation.amqp_uri, REGISTRATIONS_QUEUE),
        what="the registration event in verification's queue",
    )
    [registered] = w.emitted("person_registered", person.account_id)
    assert held.envelope == registered.envelope
    corrected = new_name()
    client.add_to_registry(w.registry, person.body, name=corrected)
    w.change_profile(person.token, name=corrected)
    [changed] = w.emitted("profile_changed", person.account_id)
    w.start_verification()
    status = w.wait_status(person.token, "passed", timeout=60)
    # the registration arrives late: it is consumed and opens nothing
    w.deliver_again(held)
    wait_for(lambda: w.consumed(held.event_id), what="the late registration event")
    [case] = w.cases([person.account_id])
    assert case.opened_by_event == changed.event_id
    assert [h["status"] for h in w.my_status(person.token)["history"]] == [
        "pending",
        "passed",
    ]
    assert status["case_id"] == case.id
