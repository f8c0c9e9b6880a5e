"""The case state machine: the table allows exactly the documented moves."""

from __future__ import annotations

import pytest
from contracts.verification import CASE_STATUSES
from verification.flow import (
    FINAL,
    INITIAL,
    OPEN,
    TRANSITIONS,
    CaseStatus,
    TransitionNotAllowed,
    Trigger,
    advance,
    sources_of,
)


def test_the_documented_path_of_a_case():
    status = INITIAL
    status = advance(status, Trigger.AUTHORITY_MISMATCHED)
    assert status == CaseStatus.FAILED
    status = advance(status, Trigger.MATERIALS_UPLOADED)
    assert status == CaseStatus.MANUAL_REVIEW
    assert advance(status, Trigger.REVIEWER_APPROVED) == CaseStatus.PASSED
    assert advance(status, Trigger.REVIEWER_REJECTED) == CaseStatus.REJECTED
    assert advance(INITIAL, Trigger.AUTHORITY_MATCHED) == CaseStatus.PASSED


@pytest.mark.parametrize("status", list(CaseStatus))
@pytest.mark.parametrize("trigger", list(Trigger))
def test_every_move_not_in_the_table_is_refused(status, trigger):
    if (status, trigger) in TRANSITIONS:
        assert advance(status, trigger) == TRANSITIONS[(status, trigger)]
    else:
        with pytest.raises(TransitionNotAllowed):
            advance(status, trigger)


def test_final_states_have_no_way_out():
    for status in FINAL:
        assert not [key for key in TRANSITIONS if key[0] == status]


def test_materials_only_after_a_failed_check_and_decisions_only_in_review():
    assert sources_of(Trigger.MATERIALS_UPLOADED) == {CaseStatus.FAILED}
    assert sources_of(Trigger.REVIEWER_APPROVED) == {CaseStatus.MANUAL_REVIEW}
    assert OPEN == {CaseStatus.PENDING, CaseStatus.FAILED, CaseStatus.MANUAL_REVIEW}


def test_the_contract_lists_the_same_statuses():
    assert set(CASE_STATUSES) == {s.value for s in CaseStatus}


def test_every_state_is_reachable_from_the_initial_one():
    reached, frontier = {INITIAL}, [INITIAL]
    while frontier:
        current = frontier.pop()
        for (source, _), target in TRANSITIONS.items():
            if source == current and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(CaseStatus)
