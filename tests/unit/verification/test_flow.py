"""The case state machine: the table allows exactly the documented moves."""

from __future__ import annotations

from typing import get_args

import pytest
from contracts.verification import CASE_STATUSES, CaseStatus, ReviewStatus
from servicekit.flows import TransitionNotAllowed
from verification.case_review import REVIEW_STATES
from verification.flow import CASE, OPEN, CaseState, Trigger


def test_the_documented_path_of_a_case():
    state = CASE.initial
    state = CASE.advance(state, Trigger.AUTHORITY_MISMATCHED)
    assert state == CaseState.FAILED
    state = CASE.advance(state, Trigger.MATERIALS_UPLOADED)
    assert state == CaseState.MANUAL_REVIEW
    assert CASE.advance(state, Trigger.REVIEWER_APPROVED) == CaseState.PASSED
    assert CASE.advance(state, Trigger.REVIEWER_REJECTED) == CaseState.REJECTED
    assert CASE.advance(CASE.initial, Trigger.AUTHORITY_MATCHED) == CaseState.PASSED


@pytest.mark.parametrize("state", list(CaseState))
@pytest.mark.parametrize("trigger", list(Trigger))
def test_every_move_not_in_the_table_is_refused(state, trigger):
    if (state, trigger) in CASE.transitions:
        assert CASE.advance(state, trigger) == CASE.transitions[(state, trigger)]
    else:
        with pytest.raises(TransitionNotAllowed):
            CASE.advance(state, trigger)


def test_final_states_have_no_way_out():
    for state in CASE.final:
        assert not [key for key in CASE.transitions if key[0] == state]


def test_materials_only_after_a_failed_check_and_decisions_only_in_review():
    assert CASE.sources_of(Trigger.MATERIALS_UPLOADED) == {CaseState.FAILED}
    assert CASE.sources_of(Trigger.REVIEWER_APPROVED) == {CaseState.MANUAL_REVIEW}
    assert {CaseState.PENDING, CaseState.FAILED, CaseState.MANUAL_REVIEW} == OPEN


def test_the_contract_lists_the_same_states():
    assert set(CASE_STATUSES) == {s.value for s in CaseState}
    assert set(get_args(CaseStatus)) == {s.value for s in CaseState}
    assert set(get_args(ReviewStatus)) == {s.value for s in REVIEW_STATES}


def test_every_state_is_reachable_from_the_initial_one():
    reached, frontier = {CASE.initial}, [CASE.initial]
    while frontier:
        current = frontier.pop()
        for (source, _), target in CASE.transitions.items():
            if source == current and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(CaseState)
