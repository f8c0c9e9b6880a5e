"""Materials uploaded again after a reviewer's rejection open a new case (issue 12,
finding 9); while a case is open a second upload is refused as before."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from contracts import errors as ce
from sqlalchemy.orm import Session
from verification import case_intake, case_review
from verification.models import outbox

from tests.integration.verification.test_handlers import (
    Authority,
    check,
    clock,
    emitter,
    open_case,
    png,
    status,
    submit,
)
from tests.support.isolation import migrated_engine

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def engine():
    with migrated_engine("verification") as engine:
        yield engine


IMAGES = {"id_front": png(), "id_back": png()}


def decide(engine, case_id, decision, reason="blurred") -> dict:
    with Session(engine) as session:
        return case_review.decide_review_case(
            session,
            emitter(session),
            case_id=case_id,
            decision=decision,
            reason=reason,
            reviewer_id="rev_1",
            correlation_id=None,
            clock=clock,
        )


def view(engine, account_id) -> dict:
    with Session(engine) as session:
        return case_intake.get_verification(session, account_id)


def review_requests(engine, account_id) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(outbox.c.envelope["data"]["case_id"].astext)
                .where(
                    outbox.c.envelope["data"]["account_id"].astext == account_id,
                    outbox.c.event_type == "verification_review_requested",
                )
                .order_by(outbox.c.created_at)
            ).scalars()
        )


def test_materials_after_a_rejection_open_a_new_case_in_review(engine):
    account_id, first = open_case(engine)
    check(engine, first, Authority(matched=False))
    assert submit(engine, account_id, IMAGES)["status"] == "manual_review"
    with pytest.raises(ce.Conflict) as refused:
        submit(engine, account_id, IMAGES)  # in review: as before
    assert refused.value.error_code == "materials_not_expected"
    decide(engine, first, "reject")
    assert view(engine, account_id)["can_upload_materials"] is True

    again = submit(engine, account_id, IMAGES)

    second = again["case_id"]
    assert second != first and again["status"] == "manual_review"
    assert status(engine, first) == "rejected"  # its decision and audit stay
    shown = view(engine, account_id)
    assert (shown["case_id"], shown["status"], shown["can_upload_materials"]) == (
        second,
        "manual_review",
        False,
    )
    assert [(h["case_id"], h["status"]) for h in shown["history"]][-1] == (
        second,
        "manual_review",
    )
    assert review_requests(engine, account_id) == [first, second]
    with pytest.raises(ce.Conflict):
        submit(engine, account_id, IMAGES)  # the new case is open: as before
    assert decide(engine, second, "approve")["status"] == "passed"
    with pytest.raises(ce.Conflict) as refused:
        submit(engine, account_id, IMAGES)
    assert refused.value.details["case_status"] == "passed"
