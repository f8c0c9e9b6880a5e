"""Gateway resources of verification and review, with a fake RPC pool."""

from __future__ import annotations

import io

import falcon.testing
import pytest
from contracts import errors as ce
from gateway.app import create_app
from gateway.errors import Problem
from gateway.settings import Settings
from gateway.uploads import UploadLimits, read_multipart

from tests.unit.gateway.fakes import FakeRpc

MB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
SESSIONS = {
    "person-token": {"account_id": "acc_person", "kind": "person", "role": "user"},
    "org-token": {"account_id": "acc_org", "kind": "organization", "role": "user"},
    "reviewer-token": {
        "account_id": "acc_reviewer",
        "kind": "person",
        "role": "reviewer",
    },
}
CSRF = "csrf-of-the-login"


def status_of(account_id: str, status: str = "unverified") -> dict:
    """A ``get_verification`` answer (``contracts.verification.VerificationStatus``)."""
    return {
        "account_id": account_id,
        "status": status,
        "reason_code": None,
        "reason": None,
        "case_id": None,
        "can_upload_materials": False,
        "history": [],
    }


def case_of(case_id: str, status: str = "manual_review", **more) -> dict:
    """A review case as verification answers it (``contracts.review``)."""
    return {
        "case_id": case_id,
        "kind": "verification",
        "status": status,
        "account_id": "acc_person",
        "account_kind": "person",
        "submitted_at": "2026-01-02T03:04:05+00:00",
        "decided_at": None,
        **more,
    }


def resolve_session(token, csrf_token=None):
    if token not in SESSIONS:
        raise ce.Unauthenticated("session_invalid", "no such session")
    return {
        "session_id": "s-" + token,
        "login_name": token.replace("-", "_"),
        "must_change_password": False,
        **SESSIONS[token],
        "csrf_ok": csrf_token == CSRF,
    }


def rpc(**answers) -> FakeRpc:
    table = {("accounts", "resolve_session"): resolve_session}
    table.update({("verification", name): fn for name, fn in answers.items()})
    return FakeRpc(table)


def client(fake: FakeRpc) -> falcon.testing.TestClient:
    return falcon.testing.TestClient(
        create_app(Settings(environment="test"), fake, redis_client=None)
    )


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


REVIEW_CASES = "/api/v1/admin/review-cases"


def as_reviewer(
    c: falcon.testing.TestClient, method: str, path: str = "", **kwargs
) -> falcon.testing.Result:
    """A request to the review routes with the reviewer's bearer token: those tests
    are about the query or body, the login is always the same."""
    return c.simulate_request(
        method, REVIEW_CASES + path, headers=auth("reviewer-token"), **kwargs
    )


def problem(result: falcon.testing.Result) -> tuple[int, str]:
    """A problem reply's status and error code, to assert both at once."""
    return result.status_code, result.json["code"]


def multipart(parts: list[tuple[str, str | None, bytes]], boundary="b0undary") -> tuple:
    body = io.BytesIO()
    for name, filename, data in parts:
        body.write(f"--{boundary}\r\n".encode())
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body.write(f"Content-Disposition: {disposition}\r\n".encode())
        if filename is not None:
            body.write(b"Content-Type: application/octet-stream\r\n")
        body.write(b"\r\n" + data + b"\r\n")
    body.write(f"--{boundary}--\r\n".encode())
    return body.getvalue(), {
        "Content-Type": f"multipart/form-data; boundary={boundary}"
    }


def upload(fake, token, parts):
    body, headers = multipart(parts)
    return client(fake).simulate_post(
        "/api/v1/me/verification/materials",
        body=body,
        headers={**headers, **auth(token)},
    )


# --- /me/verification -----------------------------------------------------------------


def test_my_verification_needs_a_session():
    result = client(rpc()).simulate_get("/api/v1/me/verification")
    assert result.status_code == 401
    assert result.json["code"] == "not_authenticated"


def test_an_unknown_token_is_401_with_accounts_code():
    result = client(rpc()).simulate_get("/api/v1/me/verification", headers=auth("nope"))
    assert result.status_code == 401
    assert result.json["code"] == "session_invalid"


def test_my_verification_asks_for_the_callers_account():
    fake = rpc(get_verification=lambda account_id: status_of(account_id, "pending"))
    result = client(fake).simulate_get(
        "/api/v1/me/verification", headers=auth("org-token")
    )
    assert result.status_code == 200
    assert result.json == status_of("acc_org", "pending")


# --- materials ------------------------------------------------------------------------


def test_materials_are_passed_as_base64_and_answer_202():
    seen = {}

    def submit(account_id, account_kind, files):
        seen.update(account_id=account_id, account_kind=account_kind, files=files)
        return case_of("vrf_x")

    result = upload(
        rpc(submit_materials=submit),
        "person-token",
        [("id_front", "a.png", PNG), ("id_back", "b.png", PNG)],
    )
    assert result.status_code == 202, result.text
    assert result.json["status"] == "manual_review"
    assert seen["account_kind"] == "person"
    assert set(seen["files"]) == {"id_front", "id_back"}


@pytest.mark.parametrize(
    ("token", "parts", "code"),
    [
        ("person-token", [("id_front", "a", b"x" * (MB + 1))], "file_too_large"),
        ("person-token", [("licence", "l.png", PNG)], "unexpected_file"),
        (
            "person-token",
            [("id_front", "a", PNG), ("id_front", "b", PNG)],
            "too_many_files",
        ),
        ("person-token", [("note", None, b"hello")], "unexpected_field"),
        (
            "org-token",
            [
                ("id_front", "a", PNG),
                ("id_back", "b", PNG),
                ("licence", "c", PNG),
                ("licence", "d", PNG),
            ],
            "too_many_files",
        ),
        ("person-token", [(f"f{i}", "x", b"1") for i in range(20)], "unexpected_file"),
    ],
    ids=["oversized", "licence-from-person", "twice", "field", "four-files", "flood"],
)
def test_bad_uploads_are_422_and_never_reach_the_service(token, parts, code):
    fake = rpc(submit_materials=lambda **kw: pytest.fail("must not be called"))
    result = upload(fake, token, parts)
    assert result.status_code == 422, result.text
    assert result.json["code"] == code
    assert ("verification", "submit_materials") not in [c[:2] for c in fake.calls]


def test_a_service_refusal_keeps_its_code():
    def submit(**kwargs):
        raise ce.InvalidInput(
            "file_type_unsupported",
            "only JPEG and PNG",
            {
                "errors": [
                    {
                        "field": "id_back",
                        "code": "file_type_unsupported",
                        "message": "x",
                    }
                ]
            },
        )

    result = upload(
        rpc(submit_materials=submit),
        "person-token",
        [("id_front", "a", PNG), ("id_back", "b", b"GIF89a")],
    )
    assert result.status_code == 422
    assert result.json["code"] == "file_type_unsupported"
    assert result.json["errors"][0]["field"] == "id_back"


def test_not_multipart_is_415():
    result = client(rpc()).simulate_post(
        "/api/v1/me/verification/materials",
        json={"id_front": "x"},
        headers=auth("person-token"),
    )
    assert result.status_code == 415


def test_a_broken_multipart_body_is_400():
    result = client(rpc()).simulate_post(
        "/api/v1/me/verification/materials",
        body=b"--b0undary\r\nnonsense",
        headers={
            "Content-Type": "multipart/form-data; boundary=b0undary",
            **auth("person-token"),
        },
    )
    assert result.status_code == 400
    assert result.json["code"] == "malformed_multipart"


class CountingStream:
    def __init__(self, data: bytes):
        self.data = io.BytesIO(data)
        self.read_bytes = 0

    def read(self, size=-1):
        chunk = self.data.read(size)
        self.read_bytes += len(chunk)
        return chunk


class FakeRequest:
    def __init__(self, body: bytes, headers: dict):
        self.bounded_stream = CountingStream(body)
        self.content_type = headers["Content-Type"]
        self.content_length = len(body)


def test_an_oversized_file_is_refused_while_streaming_not_after():
    body, headers = multipart([("id_front", "big.png", b"x" * (20 * MB))])
    req = FakeRequest(body, headers)
    limits = UploadLimits(max_file_bytes=MB, max_drain_bytes=0)
    with pytest.raises(Problem) as caught:
        read_multipart(req, frozenset({"id_front"}), limits=limits)
    assert caught.value.code == "file_too_large"
    # it stopped reading one chunk past the limit, out of a 20 MB body
    assert req.bounded_stream.read_bytes <= MB + 2 * 64 * 1024


def test_after_a_refusal_the_rest_is_drained_but_bounded():
    body, headers = multipart([("id_front", "big.png", b"x" * (20 * MB))])
    req = FakeRequest(body, headers)
    limits = UploadLimits(max_file_bytes=MB, max_drain_bytes=2 * MB)
    with pytest.raises(Problem):
        read_multipart(req, frozenset({"id_front"}), limits=limits)
    assert req.bounded_stream.read_bytes <= 3 * MB + 2 * 64 * 1024


def test_exactly_the_limit_is_accepted():
    body, headers = multipart([("id_front", "ok.png", b"x" * MB)])
    parsed = read_multipart(FakeRequest(body, headers), frozenset({"id_front"}))
    assert len(parsed.files["id_front"].data) == MB


# --- review -----------------------------------------------------------------------------


def test_review_routes_need_the_reviewer_role():
    fake = rpc(list_review_cases=lambda **kw: pytest.fail("must not be called"))
    c = client(fake)
    assert c.simulate_get("/api/v1/admin/review-cases").status_code == 401
    for method, path in [
        ("GET", "/api/v1/admin/review-cases"),
        ("GET", "/api/v1/admin/review-cases/vrf_" + "0" * 32),
        ("POST", "/api/v1/admin/review-cases/vrf_" + "0" * 32 + "/decision"),
    ]:
        result = c.simulate_request(method, path, headers=auth("person-token"), json={})
        assert result.status_code == 403, path
        assert result.json["code"] == "forbidden"


def test_the_queue_is_listed_by_kind_and_status():
    seen = {}

    def listing(status, limit, offset):
        seen.update(status=status, limit=limit, offset=offset)
        return {"items": [case_of("vrf_1", "passed")], "total": 1}

    c = client(rpc(list_review_cases=listing))
    result = as_reviewer(
        c, "GET", params={"kind": "verification", "status": "passed", "limit": "5"}
    )
    assert result.status_code == 200
    assert result.json == {"items": [case_of("vrf_1", "passed")], "total": 1}
    assert seen == {"status": "passed", "limit": 5, "offset": 0}
    bad = as_reviewer(c, "GET", params={"kind": "nonsense"})
    assert problem(bad) == (422, "kind_invalid")
    bad = as_reviewer(c, "GET", params={"limit": "0"})
    assert problem(bad) == (422, "limit_invalid")


def test_a_case_id_is_routed_by_its_prefix_and_names_the_viewing_reviewer():
    answer = {"reason_code": "no_record", "files": [], "decisions": [], "views": []}
    viewers = []

    def get_review_case(case_id, reviewer_id):
        viewers.append(reviewer_id)  # verification audits the view under this id
        return case_of(case_id, **answer)

    c = client(rpc(get_review_case=get_review_case))
    ok = as_reviewer(c, "GET", "/vrf_abc")
    assert ok.status_code == 200 and ok.json == case_of("vrf_abc", **answer)
    assert viewers == ["acc_reviewer"]
    unknown = as_reviewer(c, "GET", "/zzz_abc")
    assert problem(unknown) == (404, "case_not_found")


def test_a_decision_names_the_reviewer_and_a_closed_case_is_409():
    decided = []

    def decide(case_id, decision, reason, reviewer_id):
        if decided:
            raise ce.Conflict("case_closed", "already decided")
        decided.append((case_id, decision, reason, reviewer_id))
        return case_of(case_id, "passed", reason_code="reviewer_approved", decisions=[])

    c = client(rpc(decide_review_case=decide))
    body = {"decision": "approve", "reason": "documents match"}
    first = as_reviewer(c, "POST", "/vrf_abc/decision", json=body)
    assert first.status_code == 200
    assert decided == [("vrf_abc", "approve", "documents match", "acc_reviewer")]
    second = as_reviewer(c, "POST", "/vrf_abc/decision", json=body)
    assert problem(second) == (409, "case_closed")


def test_service_details_cannot_overwrite_the_problems_own_members():
    def submit(**kwargs):
        raise ce.Conflict(
            "materials_not_expected",
            "no",
            {"status": "passed", "code": "x", "case_status": "passed"},
        )

    result = upload(
        rpc(submit_materials=submit),
        "person-token",
        [("id_front", "a", PNG), ("id_back", "b", PNG)],
    )
    assert result.status_code == 409
    assert (
        result.json["status"] == 409 and result.json["code"] == "materials_not_expected"
    )
    assert result.json["case_status"] == "passed"


def test_the_session_cookie_works_and_unsafe_methods_need_the_csrf_token():
    fake = rpc(
        get_verification=status_of,
        decide_review_case=lambda **kw: case_of(
            kw["case_id"], "passed", reason_code="reviewer_approved", decisions=[]
        ),
    )
    c = client(fake)
    cookie = {"Cookie": "__Host-session=reviewer-token"}
    assert c.simulate_get("/api/v1/me/verification", headers=cookie).status_code == 200
    path = "/api/v1/admin/review-cases/vrf_abc/decision"
    body = {"decision": "approve", "reason": "ok"}
    refused = c.simulate_post(path, json=body, headers=cookie)
    assert problem(refused) == (403, "csrf_token_invalid")
    allowed = c.simulate_post(path, json=body, headers={**cookie, "X-CSRF-Token": CSRF})
    assert allowed.status_code == 200


def test_a_bad_decision_body_is_422_with_every_field_and_never_reaches_a_service():
    fake = rpc(decide_review_case=lambda **kw: pytest.fail("must not be called"))
    c = client(fake)
    result = as_reviewer(
        c, "POST", "/vrf_abc/decision", json={"decision": "maybe", "reason": "  "}
    )
    assert result.status_code == 422
    assert result.json["code"] == "decision_invalid"
    assert [(e["field"], e["code"]) for e in result.json["errors"]] == [
        ("decision", "decision_invalid"),
        ("reason", "reason_required"),
    ]
    too_long = as_reviewer(
        c,
        "POST",
        "/apl_abc/decision",
        json={"decision": "reject", "reason": "x" * 1001},
    )
    assert problem(too_long) == (422, "reason_too_long")
    unknown = as_reviewer(c, "POST", "/zzz_abc/decision", json={"decision": "maybe"})
    assert problem(unknown) == (404, "case_not_found")


def test_the_reason_is_sent_trimmed():
    seen = {}

    def decide(case_id, decision, reason, reviewer_id):
        seen["reason"] = reason
        return case_of(
            case_id, "rejected", reason_code="reviewer_rejected", decisions=[]
        )

    c = client(rpc(decide_review_case=decide))
    result = as_reviewer(
        c,
        "POST",
        "/vrf_abc/decision",
        json={"decision": "reject", "reason": "  blurred \n"},
    )
    assert result.status_code == 200 and seen == {"reason": "blurred"}
