"""verification's events are its contract's models, with the payload accounts reads."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from contracts.verification import (
    VerificationClient,
    VerificationFailed,
    VerificationPassed,
)
from verification.cases import emit_outcome
from verification.flow import CaseState

CASE = SimpleNamespace(account_id="acc_1", account_kind="person", id="vrf_1")


@pytest.mark.parametrize(
    ("state", "reason_code", "model", "final"),
    [
        (CaseState.PASSED, "authority_match", VerificationPassed, False),
        (CaseState.PASSED, "reviewer_approved", VerificationPassed, False),
        (CaseState.FAILED, "no_record", VerificationFailed, False),
        (CaseState.REJECTED, "reviewer_rejected", VerificationFailed, True),
    ],
)
def test_an_outcome_is_emitted_as_its_model(state, reason_code, model, final):
    emitted = []
    emit_outcome(emitted.append, CASE, state, reason_code)
    [event] = emitted
    assert type(event) is model
    assert event.dump() == {
        "account_id": "acc_1",
        "account_kind": "person",
        "case_id": "vrf_1",
        "reason_code": reason_code,
        "status": state.value,
        "final": final,
    }


def test_every_event_is_listed_on_the_client_and_consumed_by_accounts():
    """accounts consumes all three (so none names an outside subscriber)."""
    assert {e.event_type for e in VerificationClient.events} == {
        "verification_passed",
        "verification_failed",
        "verification_review_requested",
    }
    for event in VerificationClient.events:
        assert event.source == "verification"
        assert not event.subscribers
