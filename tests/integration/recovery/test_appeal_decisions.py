"""Deciding an appeal: reviewers racing on one appeal, a decision racing with its own
re-delivery, decisions out of turn, the history the reviewer sees, ids no appeal
can have.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from contracts import errors as ce
from recovery import appeal_intake, appeal_review, appeals
from recovery.models import appeal_transitions

from tests.integration.recovery.appeal_fakes import ROUNDS, AccountsProxy
from tests.integration.recovery.appeal_helpers import (
    appeal_row,
    audit,
    decide,
    deciding,
    events,
    payload,
    race,
    recover,
    submit,
    work,
)

pytestmark = pytest.mark.integration

PAIRS = [("approve", "approve"), ("approve", "reject"), ("reject", "reject")]


@pytest.mark.parametrize(("first", "second"), PAIRS)
def test_two_reviewers_deciding_at_once_record_exactly_one_decision(
    engine, make, first, second
):
    deps = make()
    for _ in range(ROUNDS):
        appeal_id = submit(deps)["appeal_id"]
        overlaps: list[bool] = []
        results = race(
            deciding(deps, appeal_id, first, "rev_a", overlaps),
            deciding(deps, appeal_id, second, "rev_b", overlaps),
        )
        won = [r for r in results if isinstance(r, dict)]
        lost = [r for r in results if isinstance(r, Exception)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], ce.Conflict) and lost[0].error_code == "case_closed"
        winner = won[0]
        decision = "approve" if winner["status"] == "approved" else "reject"
        assert lost[0].details == {"case_status": winner["status"]}
        reviewer = ("rev_a", "rev_b")[results.index(winner)]
        assert audit(engine, appeal_id) == [
            (reviewer, decision, "submitted", winner["status"])
        ]
        assert [d["reviewer_id"] for d in winner["decisions"]] == [reviewer]
        follow_up = (
            appeals.RECOVER_ACCOUNT
            if decision == "approve"
            else appeals.NOTIFY_REJECTION
        )
        assert work(engine, appeal_id) == sorted([follow_up, appeals.PURGE_FILES])
        assert events(engine, appeal_id) == [
            "appeal_submitted",
            "appeal_approved" if decision == "approve" else "appeal_rejected",
        ]
        assert appeal_row(engine, appeal_id).state == winner["status"]
        assert overlaps == [True]  # the rival was blocked while one decided


def test_a_decision_racing_with_its_own_redelivery_is_applied_once(engine, make):
    deps = make()
    for _ in range(ROUNDS):
        appeal_id = submit(deps)["appeal_id"]
        overlaps: list[bool] = []
        results = race(*[deciding(deps, appeal_id, "approve", "rev_1", overlaps)] * 2)
        assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"]
        assert audit(engine, appeal_id) == [
            ("rev_1", "approve", "submitted", "approved")
        ]
        assert work(engine, appeal_id) == sorted(
            [appeals.RECOVER_ACCOUNT, appeals.PURGE_FILES]
        )
        assert events(engine, appeal_id) == ["appeal_submitted", "appeal_approved"]
        assert set(payload(engine, appeal_id)) == {"password_enc"}
        assert overlaps == [True]  # the re-delivery was blocked while one decided


def test_a_case_whose_submission_has_not_committed_cannot_be_decided(engine, make):
    deps = make()
    stored, release = threading.Event(), threading.Event()
    seen: dict = {}

    def hold_the_submission(event_type, data):
        seen.update(data)
        stored.set()  # the appeal and its files are written, not yet committed
        release.wait(timeout=10)

    submitting = threading.Thread(
        target=lambda: seen.update(answer=submit(deps, emitted=hold_the_submission))
    )
    submitting.start()
    try:
        assert stored.wait(timeout=10)
        with pytest.raises(ce.NotFound) as early:
            decide(deps, seen["appeal_id"])
        assert early.value.error_code == "case_not_found"
    finally:
        release.set()
        submitting.join(timeout=10)
    appeal_id = seen["answer"]["appeal_id"]
    assert appeal_id == seen["appeal_id"]
    assert audit(engine, appeal_id) == [] and work(engine, appeal_id) == []
    assert decide(deps, appeal_id)["status"] == "approved"  # now it is submitted


def test_a_closed_case_refuses_every_later_decision(engine, make):
    deps = make()
    approved = submit(deps)["appeal_id"]
    decided = decide(deps, approved, reviewer="rev_a")
    assert decided["status"] == "approved" and decided["decided_at"]
    for decision in ("approve", "reject"):
        with pytest.raises(ce.Conflict) as closed:
            decide(deps, approved, decision, "rev_b")
        assert closed.value.error_code == "case_closed"
        assert closed.value.details == {"case_status": "approved"}
    assert recover(deps, approved) == "recovered"
    with pytest.raises(ce.Conflict) as closed:
        decide(deps, approved, "reject", "rev_b")
    assert closed.value.details == {"case_status": "recovered"}
    assert audit(engine, approved) == [("rev_a", "approve", "submitted", "approved")]

    rejected = submit(deps)["appeal_id"]
    decide(deps, rejected, "reject", "rev_a")
    with pytest.raises(ce.Conflict) as closed:
        decide(deps, rejected, "approve", "rev_b")
    assert closed.value.details == {"case_status": "rejected"}
    assert audit(engine, rejected) == [("rev_a", "reject", "submitted", "rejected")]
    assert events(engine, rejected) == ["appeal_submitted", "appeal_rejected"]

    with pytest.raises(ce.NotFound) as unknown:
        decide(deps, "apl_" + "0" * 32)
    assert unknown.value.error_code == "case_not_found"


def transitions(engine, appeal_id: str) -> list[tuple]:
    with engine.connect() as conn:
        return [
            (r.from_state, r.to_state, r.trigger)
            for r in conn.execute(
                sa.select(appeal_transitions)
                .where(appeal_transitions.c.appeal_id == appeal_id)
                .order_by(appeal_transitions.c.id)
            )
        ]


def test_every_state_change_is_in_the_history_the_reviewer_sees(engine, make):
    deps = make()
    appeal_id = submit(deps)["appeal_id"]
    case = appeal_review.get_review_case(deps(), appeal_id, "rev_1")
    assert [(h["status"], h["trigger"]) for h in case["history"]] == [
        ("submitted", "appeal_submitted")
    ]
    # the platform's one mask (contracts.masking): eight stars whatever the length
    assert case["claimed"]["doc_number"] == "E12********67"
    assert case["claimed"]["phone"].count("*") == 5

    decide(deps, appeal_id, reviewer="rev_a")
    with pytest.raises(ce.Conflict):  # a refused decision changes no state ...
        decide(deps, appeal_id, "reject", "rev_b")
    assert recover(deps, appeal_id) == "recovered"
    assert recover(deps, appeal_id) == "skipped"  # ... nor does work run again
    assert transitions(engine, appeal_id) == [
        (None, "submitted", "appeal_submitted"),
        ("submitted", "approved", "reviewer_approved"),
        ("approved", "recovered", "password_sent"),
    ]
    history = appeal_review.get_review_case(deps(), appeal_id, "rev_1")["history"]
    assert [h["status"] for h in history] == ["submitted", "approved", "recovered"]
    assert [h["at"] for h in history] == sorted(h["at"] for h in history)
    row = appeal_row(engine, appeal_id)
    assert history[-1]["at"] == row.updated_at.isoformat()
    assert history[0]["at"] == row.created_at.isoformat() == case["submitted_at"]


def test_bad_decisions_and_an_unmatched_approval_write_nothing(engine, make):
    deps = make(accounts=AccountsProxy(match=False))
    appeal_id = submit(deps)["appeal_id"]
    assert appeal_row(engine, appeal_id).matched_account_id is None
    with pytest.raises(ce.Conflict) as unmatched:
        decide(deps, appeal_id, "approve")
    assert unmatched.value.error_code == "no_matching_account"
    for decision, reason, code in [
        ("maybe", "why", "decision_invalid"),
        ("reject", "   ", "reason_required"),
        ("reject", "x" * 1001, "reason_too_long"),
    ]:
        with pytest.raises(ce.InvalidInput) as refused:
            appeal_review.decide_review_case(
                deps(), appeal_id, decision, reason, "rev_1"
            )
        assert refused.value.error_code == code
    assert audit(engine, appeal_id) == [] and work(engine, appeal_id) == []
    assert appeal_row(engine, appeal_id).state == "submitted"
    assert decide(deps, appeal_id, "reject")["status"] == "rejected"


@pytest.mark.parametrize("appeal_id", ["apl_\x00", "apl_" + "0" * 31 + "\x00", "apl_x"])
def test_an_id_no_appeal_can_have_is_not_found_without_a_query(make, appeal_id):
    """A NUL would make PostgreSQL refuse the query (a 500); such an id names none."""
    deps = make()
    for call in (
        lambda: appeal_intake.get_appeal_status(deps(), appeal_id, "ticket"),
        lambda: appeal_review.get_review_case(deps(), appeal_id, "rev_1"),
        lambda: decide(deps, appeal_id),
    ):
        with pytest.raises(ce.NotFound):
            call()
