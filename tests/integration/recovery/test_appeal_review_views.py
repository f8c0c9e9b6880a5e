"""Every reviewer's view of an appeal is audited (who, when, the request's
correlation id), as verification audits its cases': written with the read of the
appeal's images and listed in the answer; a refused view records nothing.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from contracts import errors as ce
from recovery import appeal_review
from recovery.models import appeal_review_views

from tests.integration.recovery.appeal_helpers import decide, submit

pytestmark = pytest.mark.integration

T0 = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


def stored_views(engine, appeal_id: str | None = None) -> list[tuple]:
    """``(appeal_id, reviewer_id, viewed_at, correlation_id)`` of the audit, oldest
    first: of one appeal, or of every appeal."""
    query = sa.select(appeal_review_views).order_by(appeal_review_views.c.id)
    if appeal_id is not None:
        query = query.where(appeal_review_views.c.appeal_id == appeal_id)
    with engine.connect() as conn:
        return [
            (r.appeal_id, r.reviewer_id, r.viewed_at, r.correlation_id)
            for r in conn.execute(query)
        ]


def open_case(deps, appeal_id: str, reviewer_id, request_id: str, at: datetime):
    """The appeal as ``reviewer_id`` opens it at ``at`` in the request
    ``request_id``."""
    one_call = dataclasses.replace(deps(clock=lambda: at), correlation_id=request_id)
    return appeal_review.get_review_case(one_call, appeal_id, reviewer_id)


def test_each_view_is_recorded_with_its_reviewer_and_request(engine, make):
    deps = make()
    appeal_id = submit(deps)["appeal_id"]
    first = open_case(deps, appeal_id, "rev_a", "req-a", T0)
    assert first["views"] == [{"reviewer_id": "rev_a", "viewed_at": T0.isoformat()}]
    assert len(first["files"]) == 2  # the images this view showed

    later = T0 + timedelta(minutes=5)
    second = open_case(deps, appeal_id, "rev_b", "req-b", later)
    third = open_case(deps, appeal_id, "rev_a", "req-c", later + timedelta(1))
    assert stored_views(engine, appeal_id) == [
        (appeal_id, "rev_a", T0, "req-a"),
        (appeal_id, "rev_b", later, "req-b"),
        (appeal_id, "rev_a", later + timedelta(1), "req-c"),
    ]
    # each answer lists every view so far, this one included, oldest first
    assert [v["reviewer_id"] for v in second["views"]] == ["rev_a", "rev_b"]
    assert [v["reviewer_id"] for v in third["views"]] == ["rev_a", "rev_b", "rev_a"]

    decide(deps, appeal_id, "reject", reviewer="rev_b")
    closed = open_case(deps, appeal_id, "rev_c", "req-d", later + timedelta(2))
    assert closed["status"] == "rejected"
    assert [v["reviewer_id"] for v in closed["views"]][-1] == "rev_c"
    assert len(stored_views(engine, appeal_id)) == 4


@pytest.mark.parametrize(
    "case_id", ["apl_" + "0" * 32, "apl_x", "vrf_" + "1" * 32, "apl_\x00"]
)
def test_an_unknown_appeal_is_not_found_and_records_nothing(engine, make, case_id):
    deps = make()
    submit(deps)  # an appeal exists, but not this one
    before = stored_views(engine)
    with pytest.raises(ce.NotFound) as unknown:
        open_case(deps, case_id, "rev_a", "req-unknown", T0)
    assert unknown.value.error_code == "case_not_found"
    assert stored_views(engine) == before


@pytest.mark.parametrize("reviewer_id", ["", None])
def test_a_view_without_a_reviewer_is_refused_and_records_nothing(
    engine, make, reviewer_id
):
    deps = make()
    appeal_id = submit(deps)["appeal_id"]
    with pytest.raises(ce.InvalidInput) as refused:
        open_case(deps, appeal_id, reviewer_id, "req-nobody", T0)
    assert refused.value.error_code == "reviewer_required"
    assert stored_views(engine, appeal_id) == []
