"""Every reviewer's view of an appeal over the real stack: the gateway tells
recovery who looks, recovery audits the view with the request's id and lists it in
the appeal; an unknown appeal records nothing.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests import identity_data as gen
from tests.e2e.test_recovery_appeals import Platform, person_appeal, register

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.fixture(scope="module")
def platform(stack):
    stack.start_stopped(timeout=60)
    return Platform(stack, stack.authority_registry)


def views_in_recovery(platform, appeal_id: str | None = None) -> list[tuple]:
    """``(appeal_id, reviewer_id, correlation_id)`` of recovery's audit, oldest
    first: of one appeal, or of all."""
    where = "" if appeal_id is None else " WHERE appeal_id = :a"
    engine = sa.create_engine(
        platform.stack.isolation.db_url("recovery"), poolclass=sa.pool.NullPool
    )
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT appeal_id, reviewer_id, correlation_id"
                f" FROM appeal_review_views{where} ORDER BY id"
            ),
            {"a": appeal_id},
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_each_view_of_an_appeal_is_audited_with_the_reviewer_and_the_request(
    platform,
):
    person = register(platform)
    submitted = person_appeal(platform, person, gen.mobile(platform.rng))
    assert submitted.status_code == 202, submitted.text
    appeal_id = submitted.json()["appeal_id"]
    reviewer = platform.reviewer()
    path = f"/admin/review-cases/{appeal_id}"

    first = platform.http("GET", path, reviewer["token"])
    second = platform.http("GET", path, reviewer["token"])
    assert first.status_code == second.status_code == 200, second.text
    assert views_in_recovery(platform, appeal_id) == [
        (appeal_id, reviewer["account_id"], first.headers["X-Request-ID"]),
        (appeal_id, reviewer["account_id"], second.headers["X-Request-ID"]),
    ]
    assert [v["reviewer_id"] for v in first.json()["views"]] == [reviewer["account_id"]]
    assert [v["reviewer_id"] for v in second.json()["views"]] == [
        reviewer["account_id"]
    ] * 2

    before = views_in_recovery(platform)
    unknown = platform.http(
        "GET", "/admin/review-cases/apl_" + "0" * 32, reviewer["token"]
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "case_not_found"
    assert views_in_recovery(platform) == before
