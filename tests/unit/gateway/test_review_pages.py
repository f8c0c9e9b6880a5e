"""The reviewer console's pages with a fake RPC pool: who may see them, the
queue merged from both owners oldest first with its pages, a case calling the
same contract methods as the API (a verification view told who looks), and the
decision's refusals sent back to the form."""

from __future__ import annotations

from contracts import errors as ce

from tests.unit.gateway.fakes import ACCOUNT
from tests.unit.gateway.test_pages import SESSION, client, post_form, resolve

REVIEWER = {**ACCOUNT, "role": "reviewer"}
PNG = "data:image/png;base64,iVBORw0KGgo="


def as_reviewer(token, csrf_token=None):
    return {**resolve(token, csrf_token), "role": "reviewer"}


def summary(case_id, kind, status, at):
    return {
        "case_id": case_id,
        "kind": kind,
        "status": status,
        "account_id": None,
        "account_kind": "person",
        "submitted_at": at,
        "decided_at": None,
    }


def lister(cases):
    def list_review_cases(status=None, limit=50, offset=0):
        chosen = [c for c in cases if c["status"] == status]
        return {"items": chosen[offset : offset + limit], "total": len(chosen)}

    return list_review_cases


VERIFICATIONS = [
    summary(
        f"vrf_{i:032x}", "verification", "manual_review", f"2026-01-0{i}T08:00:00+00:00"
    )
    for i in (1, 3, 5)
]
APPEALS = [
    summary(f"apl_{i:032x}", "appeal", "submitted", f"2026-01-0{i}T08:00:00+00:00")
    for i in (2, 4)
]


def reviewer_client(answers=None):
    return client(
        {
            ("accounts", "resolve_session"): as_reviewer,
            ("verification", "list_review_cases"): lister(VERIFICATIONS),
            ("recovery", "list_review_cases"): lister(APPEALS),
            **(answers or {}),
        }
    )


def opened_by_the_reviewer(owner: str, case: dict):
    """The console's page of ``case`` (answered by ``owner``), after checking the
    owner was told who looks: the reviewer whose view it audits."""
    http, rpc = reviewer_client(
        {(owner, "get_review_case"): lambda case_id, reviewer_id: case}
    )
    page = http.simulate_get("/review/" + case["case_id"], headers=SESSION)
    assert page.status_code == 200
    (call,) = [c for c in rpc.calls if c[1] == "get_review_case"]
    assert call[2] == {"case_id": case["case_id"], "reviewer_id": ACCOUNT["account_id"]}
    return page


def test_an_anonymous_visitor_is_sent_to_log_in_and_others_get_403():
    http, _ = client()
    anonymous = http.simulate_get("/review")
    assert anonymous.status_code == 303
    assert anonymous.headers["Location"] == "/login?next=%2Freview"
    user = http.simulate_get("/review", headers=SESSION)
    assert user.status_code == 403 and "<html" in user.text
    posted = post_form(
        http,
        "/review/vrf_" + "0" * 32,
        {"csrf_token": "csrf-1"},
        cookies="__Host-session=good-token; __Host-csrf=csrf-1",
    )
    assert posted.status_code == 403


def test_the_queue_merges_both_kinds_oldest_first_page_by_page(monkeypatch):
    from gateway.web.pages import review

    monkeypatch.setattr(review, "PAGE_SIZE", 2)
    http, _ = reviewer_client()
    first = http.simulate_get("/review", headers=SESSION)
    assert first.status_code == 200
    order = [
        c["case_id"]
        for c in sorted(VERIFICATIONS + APPEALS, key=lambda c: c["submitted_at"])
    ]
    assert first.text.index(order[0]) < first.text.index(order[1])
    assert order[2] not in first.text
    assert "共 5 件" in first.text and "第 1 页，共 3 页" in first.text
    assert '<th scope="col">案件编号</th>' in first.text
    second = http.simulate_get("/review", params={"page": "2"}, headers=SESSION)
    assert order[2] in second.text and order[3] in second.text
    assert order[1] not in second.text


def test_a_bad_filter_or_page_is_422_and_changes_nothing():
    http, rpc = reviewer_client()
    assert (
        http.simulate_get(
            "/review", params={"status": "x"}, headers=SESSION
        ).status_code
        == 422
    )
    assert (
        http.simulate_get("/review", params={"page": "0"}, headers=SESSION).status_code
        == 422
    )
    assert not [c for c in rpc.calls if c[1] == "list_review_cases"]


def test_a_verification_case_shows_the_claim_beside_the_images_and_audits_the_view():
    case = {
        **VERIFICATIONS[0],
        "reason_code": "no_record",
        "files": [
            {
                "field": "id_front",
                "media_type": "image/png",
                "data_url": PNG,
                "width": 10,
                "height": 8,
            }
        ],
        "claimed_identity": {
            "account_id": ACCOUNT["account_id"],
            "account_kind": "person",
            "person": {
                "name": "<b>张伟</b>",
                "identity_region": "mainland",
                "doc_type": "resident_id",
                "doc_number": "11010519491231002X",
            },
        },
        "claimed_identity_is_current": True,
        "decisions": [],
        "views": [
            {
                "reviewer_id": ACCOUNT["account_id"],
                "viewed_at": "2026-01-02T08:00:00+00:00",
            }
        ],
    }
    page = opened_by_the_reviewer("verification", case)
    assert "11010519491231002X" in page.text and "&lt;b&gt;张伟" in page.text
    assert f'src="{PNG}"' in page.text and 'alt="本案件上传的' in page.text
    assert "本案件的查看记录" in page.text


def test_a_refused_decision_goes_back_to_the_case_and_a_good_one_to_the_queue():
    case_id = APPEALS[0]["case_id"]

    def decide(case_id, decision, reason, reviewer_id, account_id=None):
        if account_id is None:
            raise ce.InvalidInput(
                "candidate_required",
                "name one",
                {
                    "errors": [
                        {
                            "field": "account_id",
                            "code": "candidate_required",
                            "message": "name one",
                        }
                    ]
                },
            )
        return {**APPEALS[0], "status": "approved", "decisions": []}

    http, rpc = reviewer_client({("recovery", "decide_review_case"): decide})
    cookies = "__Host-session=good-token; __Host-csrf=csrf-1"
    fields = {"csrf_token": "csrf-1", "decision": "approve", "reason": "一致"}
    refused = post_form(http, f"/review/{case_id}", fields, cookies=cookies)
    assert (
        refused.status_code == 303
        and refused.headers["Location"] == f"/review/{case_id}"
    )
    chosen = post_form(
        http, f"/review/{case_id}", {**fields, "account_id": "acc-1"}, cookies=cookies
    )
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/review"
    decided = [c[2] for c in rpc.calls if c[1] == "decide_review_case"]
    assert (
        decided[1]["account_id"] == "acc-1"
        and decided[1]["reviewer_id"] == ACCOUNT["account_id"]
    )


def test_my_information_says_why_a_reviewer_rejected_and_offers_a_new_upload():
    from tests.unit.gateway.test_pages import me_answer

    def rejected(account_id):
        return {**me_answer(account_id), "real_name_status": "rejected"}

    def verification(account_id):
        return {
            "account_id": account_id,
            "status": "rejected",
            "reason_code": "reviewer_rejected",
            "reason": "<i>照片模糊</i>",
            "case_id": "vrf_" + "1" * 32,
            "can_upload_materials": True,
            "history": [],
        }

    http, _ = client(
        {
            ("accounts", "get_me"): rejected,
            ("verification", "get_verification"): verification,
        }
    )
    page = http.simulate_get("/me", headers=SESSION)
    assert "审核意见: &lt;i&gt;照片模糊&lt;/i&gt;" in page.text
    assert 'href="/me/materials"' in page.text


def test_an_organisation_claim_shows_its_code_and_representative_in_full():
    case = {
        **VERIFICATIONS[0],
        "account_kind": "organization",
        "reason_code": "no_record",
        "files": [],
        "claimed_identity": {
            "account_id": ACCOUNT["account_id"],
            "account_kind": "organization",
            "organization": {
                "name": "北京测试科技有限公司",
                "region": "domestic",
                "legal_person_type": "enterprise",
                "code_kind": "credit_code",
                "unique_code": "91110108MA01234567",
                "legal_representative": {
                    "name": "李四",
                    "identity_region": "mainland",
                    "doc_type": "resident_id",
                    "doc_number": "11010519491231002X",
                },
                "main_agent": {"name": "王五", "mobile": "13*****678"},
            },
        },
        "claimed_identity_is_current": False,
        "decisions": [],
        "views": [],
    }
    answers = {("verification", "get_review_case"): lambda case_id, reviewer_id: case}
    http, _ = reviewer_client(answers)
    page = http.simulate_get("/review/" + case["case_id"], headers=SESSION)
    for shown in (
        "91110108MA01234567",
        "11010519491231002X",
        "13*****678",
        "法定代表人",
    ):
        assert shown in page.text
    assert "该账号已有更新的案件" in page.text  # not the newest case
    english = http.simulate_get(
        "/review/" + case["case_id"], params={"lang": "en"}, headers=SESSION
    )
    assert "Claimed identity" in english.text and "Main agent" in english.text


def test_a_reviewer_with_a_temporary_password_changes_it_first():
    def temporary(token, csrf_token=None):
        return {**as_reviewer(token, csrf_token), "must_change_password": True}

    http, rpc = reviewer_client({("accounts", "resolve_session"): temporary})
    page = http.simulate_get("/review", headers=SESSION)
    assert page.status_code == 303 and page.headers["Location"] == "/me/password"
    assert not [c for c in rpc.calls if c[1] == "list_review_cases"]


def test_an_appeal_is_read_with_the_reviewers_id_and_shows_its_audited_views():
    case = {
        **APPEALS[0],
        "claimed": {"name": "张伟", "phone": "13*****000"},
        "matched_account": None,
        "candidates": [],
        "differences": ["no_matching_account"],
        "files": [],
        "history": [
            {"status": "submitted", "trigger": "appeal_submitted", "at": "2026-01-02"}
        ],
        "decisions": [],
        "views": [
            {"reviewer_id": "rev-earlier", "viewed_at": "2026-01-02T09:00:00+00:00"},
            {
                "reviewer_id": ACCOUNT["account_id"],
                "viewed_at": "2026-01-03T10:30:00+00:00",
            },
        ],
    }
    page = opened_by_the_reviewer("recovery", case)
    assert "本案件的查看记录" in page.text
    assert "rev-earlier" in page.text and "2026-01-03 10:30:00" in page.text
    assert "暂未记入审计" not in page.text
