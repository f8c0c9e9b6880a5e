"""Gateway resources of recovery, with a fake RPC pool."""

from __future__ import annotations

from contracts import errors as ce

from tests.unit.gateway.fakes import FakeRpc
from tests.unit.gateway.test_verification_routes import (
    PNG,
    auth,
    client,
    multipart,
    resolve_session,
)


def test_the_reset_steps_answer_201_202_204_and_pass_the_client_address():
    fake = FakeRpc(
        {
            ("recovery", "start_password_reset"): lambda **k: {
                "reset_id": "rst_1",
                "masked_phone": "13*****000",
                "expires_in": 900,
            },
            ("recovery", "send_reset_code"): lambda **k: {
                "expires_in": 300,
                "resend_after": 60,
            },
            ("recovery", "complete_password_reset"): lambda **k: None,
        }
    )
    c = client(fake)
    base = "/api/v1/recovery/password-resets"
    started = c.simulate_post(
        base, json={"login_name": "a", "captcha_id": "c", "captcha_answer": "x"}
    )
    assert started.status_code == 201 and started.json["reset_id"] == "rst_1"
    assert (
        c.simulate_post(f"{base}/rst_1/sms-code", json={"phone": "1"}).status_code
        == 202
    )
    done = c.simulate_post(
        f"{base}/rst_1/complete", json={"sms_code": "1", "new_password": "p"}
    )
    assert done.status_code == 204
    assert all(call[2]["client_ip"] for call in fake.calls)


def test_flow_errors_map_to_409_410_and_422_with_attempts_left():
    def conflict(**k):
        raise ce.Conflict("reset_step_not_allowed", "no")

    def gone(**k):
        raise ce.Gone("reset_expired", "late")

    def mismatch(**k):
        raise ce.InvalidInput(
            "phone_mismatch",
            "no",
            {
                "attempts_left": 2,
                "errors": [
                    {"field": "phone", "code": "phone_mismatch", "message": "no"}
                ],
            },
        )

    base = "/api/v1/recovery/password-resets/rst_1"
    for fn, status in ((conflict, 409), (gone, 410), (mismatch, 422)):
        c = client(FakeRpc({("recovery", "send_reset_code"): fn}))
        answer = c.simulate_post(f"{base}/sms-code", json={"phone": "1"})
        assert answer.status_code == status
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json["attempts_left"] == 2


def test_appeal_case_ids_go_to_recovery_and_appeals_join_the_queue():
    fake = FakeRpc(
        {
            ("accounts", "resolve_session"): resolve_session,
            ("recovery", "get_review_case"): lambda case_id: {"case_id": case_id},
            ("recovery", "list_review_cases"): lambda **k: {
                "items": [{"case_id": "apl_1"}],
                "total": 1,
            },
            ("verification", "list_review_cases"): lambda **k: {
                "items": [
                    {
                        "case_id": "vrf_1",
                        "kind": "verification",
                        "status": "manual_review",
                        "account_id": "acc_1",
                        "account_kind": "person",
                        "submitted_at": "2026-01-02T03:04:05+00:00",
                        "decided_at": None,
                    }
                ],
                "total": 1,
            },
        }
    )
    c = client(fake)
    one = c.simulate_get(
        "/api/v1/admin/review-cases/apl_1", headers=auth("reviewer-token")
    )
    assert one.json == {"case_id": "apl_1"}
    both = c.simulate_get("/api/v1/admin/review-cases", headers=auth("reviewer-token"))
    assert both.json["total"] == 2
    appeals = c.simulate_get(
        "/api/v1/admin/review-cases",
        params={"kind": "appeal"},
        headers=auth("reviewer-token"),
    )
    assert appeals.json["items"] == [{"case_id": "apl_1"}]


def test_a_person_appeal_is_read_as_multipart_and_answered_202():
    seen = {}

    def submit(appeal, files, client_ip):
        seen.update(appeal=appeal, files=set(files))
        return {"appeal_id": "apl_1", "ticket": "t", "status": "submitted"}

    body, headers = multipart(
        [
            ("name", None, "张伟".encode()),
            ("phone", None, b"13800138000"),
            ("id_front", "f.png", PNG),
            ("id_back", "b.png", PNG),
        ]
    )
    c = client(FakeRpc({("recovery", "submit_person_appeal"): submit}))
    answer = c.simulate_post(
        "/api/v1/recovery/appeals/person",
        body=body,
        headers=headers,
    )
    assert answer.status_code == 202, answer.text
    assert seen == {
        "appeal": {"name": "张伟", "phone": "13800138000"},
        "files": {"id_front", "id_back"},
    }
