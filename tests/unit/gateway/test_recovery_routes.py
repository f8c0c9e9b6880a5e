"""Gateway resources of recovery, with a fake RPC pool."""

from __future__ import annotations

import base64

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


def summary(case_id: str, kind: str) -> dict:
    """A case as an owner's queue lists it (``contracts.review``)."""
    return {
        "case_id": case_id,
        "kind": kind,
        "status": "submitted",
        "account_id": None,
        "account_kind": "person",
        "submitted_at": "2027-01-15T08:00:00+00:00",
        "decided_at": None,
    }


def appeal_case(case_id: str) -> dict:
    """An appeal as recovery shows it to a reviewer."""
    return {
        **summary(case_id, "appeal"),
        "claimed": {"name": "张伟", "phone": "13*****000"},
        "matched_account": None,
        "differences": ["no_matching_account"],
        "files": [],
        "history": [
            {"status": "submitted", "trigger": "submitted", "at": "2027-01-15T08:00"}
        ],
        "decisions": [],
        "views": [{"reviewer_id": "rev-1", "viewed_at": "2027-01-15T09:00:00+00:00"}],
    }


def test_appeal_case_ids_go_to_recovery_and_appeals_join_the_queue():
    fake = FakeRpc(
        {
            ("accounts", "resolve_session"): resolve_session,
            ("recovery", "get_review_case"): lambda case_id, reviewer_id: appeal_case(
                case_id
            ),
            ("recovery", "list_review_cases"): lambda **k: {
                "items": [summary("apl_1", "appeal")],
                "total": 1,
            },
            ("verification", "list_review_cases"): lambda **k: {
                "items": [summary("vrf_1", "verification")],
                "total": 1,
            },
        }
    )
    c = client(fake)
    one = c.simulate_get(
        "/api/v1/admin/review-cases/apl_1", headers=auth("reviewer-token")
    )
    assert one.json == appeal_case("apl_1")
    # recovery is told who looks: it audits the view
    (opened,) = [c[2] for c in fake.calls if c[1] == "get_review_case"]
    reviewer = resolve_session("reviewer-token")["account_id"]
    assert opened == {"case_id": "apl_1", "reviewer_id": reviewer}
    both = c.simulate_get("/api/v1/admin/review-cases", headers=auth("reviewer-token"))
    assert both.json["total"] == 2
    appeals = c.simulate_get(
        "/api/v1/admin/review-cases",
        params={"kind": "appeal"},
        headers=auth("reviewer-token"),
    )
    assert appeals.json["items"] == [summary("apl_1", "appeal")]


PERSON_FORM = [
    ("name", None, "张伟".encode()),
    ("identity_region", None, b"mainland"),
    ("doc_type", None, b"resident_id"),
    ("doc_number", None, b"11010519491231002X"),
    ("phone", None, b"13800138000"),
    ("sms_code", None, b"123456"),
    ("id_front", "f.png", PNG),
    ("id_back", "b.png", PNG),
]


def test_a_person_appeal_is_read_as_multipart_and_answered_202():
    seen = {}

    def submit(appeal, client_ip):
        seen.update(appeal)
        return {"appeal_id": "apl_1", "ticket": "t", "status": "submitted"}

    body, headers = multipart(PERSON_FORM)
    c = client(FakeRpc({("recovery", "submit_person_appeal"): submit}))
    answer = c.simulate_post(
        "/api/v1/recovery/appeals/person",
        body=body,
        headers=headers,
    )
    assert answer.status_code == 202, answer.text
    assert answer.json == {"appeal_id": "apl_1", "ticket": "t", "status": "submitted"}
    # one message: the form's fields (the phone in E.164) and its files in base64
    assert seen == {
        "name": "张伟",
        "identity_region": "mainland",
        "doc_type": "resident_id",
        "doc_number": "11010519491231002X",
        "phone": "+8613800138000",
        "sms_code": "123456",
        "id_front": base64.b64encode(PNG).decode(),
        "id_back": base64.b64encode(PNG).decode(),
    }


def test_a_bad_appeal_is_refused_whole_before_recovery_is_called():
    fake = FakeRpc()
    form = [
        ("name", None, b""),
        ("identity_region", None, b"mainland"),
        ("doc_type", None, b"passport"),
        ("phone", None, b"123"),
        ("id_front", "f.gif", b"GIF89a...."),
    ]
    body, headers = multipart(form)
    answer = client(fake).simulate_post(
        "/api/v1/recovery/appeals/person", body=body, headers=headers
    )
    assert answer.status_code == 422
    assert answer.json["code"] == "required"  # the first error's code, on top
    assert [(e["field"], e["code"]) for e in answer.json["errors"]] == [
        ("name", "required"),
        ("doc_type", "doc_type_not_allowed_for_region"),
        ("doc_number", "required"),
        ("phone", "phone_invalid"),
        ("sms_code", "sms_code_invalid"),
        ("id_front", "file_type_unsupported"),
        ("id_back", "file_missing"),
    ]
    assert fake.calls == []


def test_a_reset_without_a_captcha_reaches_recovery_and_a_bad_name_does_not():
    def no_captcha(**k):
        assert k["captcha_id"] is None and k["captcha_answer"] is None
        raise ce.CaptchaRequired("captcha_required", "Solve the image captcha first")

    fake = FakeRpc({("recovery", "start_password_reset"): no_captcha})
    c = client(fake)
    base = "/api/v1/recovery/password-resets"
    assert c.simulate_post(base, json={"login_name": "a"}).status_code == 428
    empty = c.simulate_post(base, json={"login_name": "", "captcha_id": 5})
    assert empty.status_code == 422 and empty.json["code"] == "required"
    assert empty.json["errors"][0]["field"] == "login_name"
    assert len(fake.calls) == 1


LOOKUPS = "/api/v1/recovery/organization-lookups"
CAPTCHA = {"captcha_id": "c1", "captcha_answer": "K7PX"}


def test_an_organisation_lookup_passes_the_credit_code_and_needs_one():
    """Issue 12, finding 7: the unit is looked up by name and credit code (or a
    registration number outside the mainland); without either the gateway
    answers 422 ``credit_code_required`` and recovery is never asked."""
    fake = FakeRpc(
        {
            ("recovery", "start_organization_lookup"): lambda **k: {
                "lookup_id": "lku_1",
                "expires_in": 1800,
            }
        }
    )
    c = client(fake)
    found = c.simulate_post(
        LOOKUPS,
        json={"unit_name": "示例科技", "credit_code": "91350100M000100Y43", **CAPTCHA},
    )
    assert found.status_code == 201, found.text
    (call,) = fake.calls
    assert call[2]["lookup"]["credit_code"] == "91350100M000100Y43"
    assert call[2]["lookup"].get("registration_number") is None
    abroad = c.simulate_post(
        LOOKUPS,
        json={"unit_name": "示例科技", "registration_number": "HK-1234", **CAPTCHA},
    )
    assert abroad.status_code == 201
    assert fake.calls[-1][2]["lookup"]["registration_number"] == "HK-1234"
    calls = len(fake.calls)
    for body in (
        {"unit_name": "示例科技", **CAPTCHA},
        {"unit_name": "示例科技", "credit_code": "  ", **CAPTCHA},
        {"unit_name": "示例科技", "credit_code": None, **CAPTCHA},
    ):
        missing = c.simulate_post(LOOKUPS, json=body)
        assert missing.status_code == 422, missing.text
        assert missing.json["code"] == "credit_code_required"
        assert missing.json["errors"][0]["field"] == "credit_code"
    too_long = c.simulate_post(
        LOOKUPS, json={"unit_name": "示例科技", "credit_code": "9" * 65, **CAPTCHA}
    )
    assert too_long.json["code"] == "credit_code_invalid"
    assert len(fake.calls) == calls


def test_an_appeal_decision_passes_the_chosen_account_and_a_verification_refuses_one():
    decided = []

    def decide(**kw):
        decided.append(kw)
        return {**summary(kw["case_id"], "appeal"), "decisions": []}

    fake = FakeRpc(
        {
            ("accounts", "resolve_session"): resolve_session,
            ("recovery", "decide_review_case"): decide,
        }
    )
    c = client(fake)
    path = "/api/v1/admin/review-cases/{}/decision"
    body = {"decision": "approve", "reason": "licence matches", "account_id": "acc_5"}
    chosen = c.simulate_post(
        path.format("apl_1"), json=body, headers=auth("reviewer-token")
    )
    assert chosen.status_code == 200, chosen.text
    assert decided[-1]["account_id"] == "acc_5"
    implied = c.simulate_post(
        path.format("apl_1"),
        json={"decision": "approve", "reason": "ok"},
        headers=auth("reviewer-token"),
    )
    assert implied.status_code == 200 and decided[-1].get("account_id") is None
    verification = c.simulate_post(
        path.format("vrf_1"), json=body, headers=auth("reviewer-token")
    )
    assert verification.status_code == 422
    assert verification.json["code"] == "account_id_not_expected"
    assert len(decided) == 2
