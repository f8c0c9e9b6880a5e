"""What a reviewer sees over the real stack: the claimed identity beside the images, the
audit of every view, a superseded case flagged.
"""

from __future__ import annotations

import pytest

from tests.integration.verification.stack_world import (
    Account,
    image_bytes,
    new_name,
    upload,
)
from tests.support.claims import claimed_organization, claimed_person
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def views_of(w, case_id: str) -> list:
    """verification's audit of the views of one case, oldest first."""
    return w.sql(
        "SELECT reviewer_id, viewed_at, correlation_id FROM review_views"
        " WHERE case_id = :c ORDER BY id",
        c=case_id,
    ).all()


def under_review(w, account: Account, fields=("id_front", "id_back")) -> str:
    """The id of ``account``'s failed case, under review with its images."""
    w.wait_status(account.token, "failed")
    files = {n: (f"{n}.png", image_bytes(), "image/png") for n in fields}
    answer = upload(w, account.token, files)
    assert answer.status_code == 202, answer.text
    return answer.json()["case_id"]


def test_a_reviewer_sees_the_claimed_person_beside_the_images_and_each_view_is_audited(
    w,
):
    person = w.person(in_registry=False)
    case_id = under_review(w, person)
    reviewer = w.reviewer()

    # not a reviewer: refused, and nothing is audited
    refused = w.get(f"/admin/review-cases/{case_id}", person.token)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert views_of(w, case_id) == []

    first = w.get(f"/admin/review-cases/{case_id}", reviewer["token"])
    assert first.status_code == 200, first.text
    assert first.headers["Cache-Control"] == "no-store"
    case = first.json()
    assert {f["field"] for f in case["files"]} == {"id_front", "id_back"}
    # in full: the reviewer compares them with the document in the images
    assert case["claimed_identity"] == {
        "account_id": person.account_id,
        "account_kind": "person",
        "person": claimed_person(person.body),
        "organization": None,
    }
    assert case["claimed_identity_is_current"] is True

    second = w.get(f"/admin/review-cases/{case_id}", reviewer["token"])
    audit = views_of(w, case_id)
    assert [(v.reviewer_id, v.correlation_id) for v in audit] == [
        (reviewer["account_id"], first.headers["X-Request-ID"]),
        (reviewer["account_id"], second.headers["X-Request-ID"]),
    ]
    assert audit[0].viewed_at <= audit[1].viewed_at
    # the audit is shown where the decisions are: in the case itself
    assert [(v["reviewer_id"], v["viewed_at"]) for v in second.json()["views"]] == [
        (v.reviewer_id, v.viewed_at.isoformat()) for v in audit
    ]
    # deciding is not viewing
    assert w.decide(case_id, reviewer["token"], "approve", "match").status_code == 200
    assert len(views_of(w, case_id)) == 2


def test_a_reviewer_sees_the_claimed_organization_with_its_people(w):
    organization = w.organization(in_registry=False, log_in=True)
    case_id = under_review(w, organization, ("id_front", "id_back", "licence"))
    reviewer = w.reviewer()
    answer = w.get(f"/admin/review-cases/{case_id}", reviewer["token"])
    assert answer.status_code == 200, answer.text
    body = organization.body
    claimed = answer.json()["claimed_identity"]
    assert claimed["account_kind"] == "organization" and claimed["person"] is None
    # the main agent's phone is in no image: masked
    assert claimed["organization"] == claimed_organization(body)
    assert body["main_agent"]["phone"][-8:] not in answer.text
    assert [v.reviewer_id for v in views_of(w, case_id)] == [reviewer["account_id"]]


def test_a_superseded_case_says_its_claimed_identity_may_have_changed(w):
    person = w.person(in_registry=False)
    case_id = under_review(w, person)
    renamed = new_name()
    w.change_profile(person.token, name=renamed)
    wait_for(
        lambda: (
            {r.id: r.state for r in w.cases([person.account_id])}[case_id]
            == "superseded"
        ),
        what="the case under review to be superseded",
    )
    case = w.get(f"/admin/review-cases/{case_id}", w.reviewer()["token"]).json()
    # the account's data now, flagged: a newer case is about it
    assert case["claimed_identity"]["person"]["name"] == renamed
    assert case["claimed_identity_is_current"] is False
