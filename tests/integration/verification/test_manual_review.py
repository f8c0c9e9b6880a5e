"""Manual review over HTTP through the real gateway: materials after a failed check, a
reviewer's approval or rejection, images of a superseded review deleted.
"""

from __future__ import annotations

import base64
import io
from datetime import timedelta

import pytest
from PIL import Image

from tests.integration.verification.stack_world import image_bytes, new_name, upload
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def test_failed_then_materials_then_a_reviewer_approves(w):
    person = w.person(in_registry=False)
    token = person.token
    reviewer = w.reviewer()["token"]
    failed = w.wait_status(token, "failed")
    assert failed["reason_code"] == "no_record" and failed["can_upload_materials"]

    answer = upload(
        w,
        token,
        {
            "id_front": ("front.png", image_bytes("PNG"), "image/png"),
            "id_back": ("back.jpg", image_bytes("JPEG"), "image/jpeg"),
        },
    )
    assert answer.status_code == 202, answer.text
    case_id = answer.json()["case_id"]
    assert case_id.startswith("vrf_") and answer.json()["status"] == "manual_review"
    assert w.my_status(token)["status"] == "manual_review"

    # a second upload is refused: the case is no longer failed
    again = upload(
        w,
        token,
        {
            "id_front": ("f.png", image_bytes(), "image/png"),
            "id_back": ("b.png", image_bytes(), "image/png"),
        },
    )
    assert again.status_code == 409 and again.json()["code"] == "materials_not_expected"

    # a user who is not a reviewer sees nothing
    assert w.get("/admin/review-cases", token).status_code == 403
    assert w.get(f"/admin/review-cases/{case_id}", token).status_code == 403

    queue = w.get(
        "/admin/review-cases", reviewer, params={"kind": "verification"}
    ).json()
    assert case_id in [c["case_id"] for c in queue["items"]]
    case = w.get(f"/admin/review-cases/{case_id}", reviewer).json()
    assert {f["field"] for f in case["files"]} == {"id_front", "id_back"}
    for f in case["files"]:
        header, encoded = f["data_url"].split(",", 1)
        assert header == f"data:{f['media_type']};base64"
        with Image.open(io.BytesIO(base64.b64decode(encoded))) as decoded:
            assert decoded.size == (120, 80)

    decision = w.decide(case_id, reviewer, "approve", "documents are genuine")
    assert decision.status_code == 200, decision.text
    assert decision.json()["status"] == "passed"
    closed = w.decide(case_id, reviewer, "reject", "changed my mind")
    assert closed.status_code == 409 and closed.json()["code"] == "case_closed"

    mine = w.my_status(token)
    assert (mine["status"], mine["reason_code"]) == ("passed", "reviewer_approved")
    audit = w.sql(
        "SELECT reviewer_id, decision, reason, decided_at FROM review_decisions"
        " WHERE case_id = :c",
        c=case_id,
    ).all()
    stored = w.sql(
        "SELECT field, ciphertext FROM verification_materials WHERE case_id = :c",
        c=case_id,
    ).all()
    assert [(a.reviewer_id, a.decision, a.reason) for a in audit] == [
        (w.reviewer()["account_id"], "approve", "documents are genuine")
    ]
    assert audit[0].decided_at is not None
    # stored encrypted: no PNG or JPEG signature in the stored bytes
    for row in stored:
        assert b"PNG" not in bytes(row.ciphertext)[:64]
        assert b"\xff\xd8\xff" not in bytes(row.ciphertext)[:64]
    kinds = [e.event_type for e in w.outcome_events([person.account_id])]
    assert kinds == ["verification_failed", "verification_passed"]


def test_a_rejection_shows_the_reviewers_reason(w):
    organization = w.organization(in_registry=False, log_in=True)
    token = organization.token
    reviewer = w.reviewer()["token"]
    w.wait_status(token, "failed")
    files = {
        name: (f"{name}.png", image_bytes(), "image/png")
        for name in ("id_front", "id_back", "licence")
    }
    case_id = upload(w, token, files).json()["case_id"]
    answer = w.decide(case_id, reviewer, "reject", "licence is unreadable")
    assert answer.status_code == 200
    mine = w.my_status(token)
    assert (mine["status"], mine["reason"]) == ("rejected", "licence is unreadable")
    purge_in = w.sql(
        "SELECT next_attempt_at - now() FROM work_items"
        " WHERE kind = 'purge_materials' AND ref = :c",
        c=case_id,
    ).scalar_one()
    assert timedelta(days=29) < purge_in <= timedelta(days=30)


def test_images_of_a_superseded_review_are_deleted(w):
    person = w.person(in_registry=False)
    w.wait_status(person.token, "failed")
    files = {
        n: (f"{n}.png", image_bytes(), "image/png") for n in ("id_front", "id_back")
    }
    case_id = upload(w, person.token, files).json()["case_id"]

    def stored() -> int:
        return w.sql(
            "SELECT count(*) FROM verification_materials WHERE case_id = :c", c=case_id
        ).scalar_one()

    assert stored() == 2
    # the person changes the name under review: a new case, nobody reviews these
    w.change_profile(person.token, name=new_name())
    wait_for(lambda: stored() == 0, what="the superseded case's images to be purged")
    statuses = {r.id: r.state for r in w.cases([person.account_id])}
    assert statuses.pop(case_id) == "superseded"
    assert list(statuses.values()) != []  # the newer case decides now
