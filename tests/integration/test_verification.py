"""Verification over the real broker, database and processes.

Accounts' events are published here as accounts' relay would, and accounts itself
is played by tests/support/accounts_stub.py (answering ``get_verification_subject``
and ``resolve_session`` from a file), so verification is tested on its own terms:
cases, the durable work against the simulated authority, outages, crashes, two
copies, and the review over HTTP through the real gateway.
"""

from __future__ import annotations

import base64
import io
import json
import secrets
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from PIL import Image

from tests.support import events
from tests.support.stack import ROOT
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


@dataclass
class World:
    stack: object
    engine: sa.Engine
    registry: Path
    stub_path: Path
    env: dict[str, str]
    stub: dict = field(default_factory=lambda: {"subjects": {}, "sessions": {}})

    # --- accounts, as the stub and the registry know them ------------------------------

    def _save_stub(self) -> None:
        tmp = self.stub_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.stub, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.stub_path)

    def person(self, in_registry: bool = True, role: str = "user") -> tuple[str, str]:
        """A new person account (id, session token); in the registry or not."""
        account_id = "acc_" + secrets.token_hex(8)
        number = "E" + str(secrets.randbelow(10**8)).zfill(8)
        name = "测试" + secrets.token_hex(2)
        self.stub["subjects"][account_id] = {
            "account_id": account_id,
            "account_kind": "person",
            "name": name,
            "identity_region": "other",
            "doc_type": "passport",
            "doc_number": number,
        }
        token = secrets.token_urlsafe(16)
        self.stub["sessions"][token] = {
            "account_id": account_id,
            "kind": "person",
            "role": role,
        }
        self._save_stub()
        if in_registry:
            with self.registry.open("a", encoding="utf-8") as handle:
                handle.write(f"person,{name},passport,{number},,\n")
        return account_id, token

    def organization(self, in_registry: bool = True) -> tuple[str, str]:
        account_id = "acc_" + secrets.token_hex(8)
        code = "91110105" + secrets.token_hex(5).upper()[:10]
        name, rep = (
            "示例市" + secrets.token_hex(2) + "有限公司",
            "法人" + secrets.token_hex(2),
        )
        self.stub["subjects"][account_id] = {
            "account_id": account_id,
            "account_kind": "organization",
            "name": name,
            "registration_region": "domestic",
            "credit_code": code,
            "legal_representative_name": rep,
        }
        token = secrets.token_urlsafe(16)
        self.stub["sessions"][token] = {
            "account_id": account_id,
            "kind": "organization",
            "role": "user",
        }
        self._save_stub()
        if in_registry:
            with self.registry.open("a", encoding="utf-8") as handle:
                handle.write(f"organization,{name},,,{code},{rep}\n")
        return account_id, token

    def registered(self, account_id: str, kind: str = "person", **extra) -> dict:
        event_type = f"{kind}_registered"
        return events.envelope(
            "accounts",
            event_type,
            {"account_id": account_id, "account_kind": kind},
            correlation_id="reg-" + secrets.token_hex(6),
            **extra,
        )

    def publish(self, *envelopes: dict) -> None:
        events.publish(self.stack.isolation.amqp_uri, *envelopes)

    # --- what verification recorded ------------------------------------------------------

    def cases(self, account_ids: list[str]) -> list:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT case_id, account_id, status, reason_code FROM verification_cases"
                    " WHERE account_id = ANY(:ids)"
                ),
                {"ids": list(account_ids)},
            ).all()

    def decided(self, account_ids: list[str]) -> list | None:
        rows = self.cases(account_ids)
        done = [r for r in rows if r.status != "pending"]
        return done if len(done) == len(account_ids) else None

    def outcome_events(self, account_ids: list[str]) -> list:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT event_type, envelope->'data'->>'case_id' AS case_id"
                    " FROM outbox WHERE event_type IN"
                    " ('verification_passed', 'verification_failed')"
                    " AND envelope->'data'->>'account_id' = ANY(:ids)"
                    # without an order the heap's decides, and the relay's update
                    # (sent_at) moves a row: events in the order they happened
                    " ORDER BY created_at"
                ),
                {"ids": list(account_ids)},
            ).all()

    def decisions_per_case(self, account_ids: list[str]) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT t.case_id, count(*) FROM verification_case_transitions t"
                    " JOIN verification_cases c USING (case_id)"
                    " WHERE c.account_id = ANY(:ids) AND t.trigger LIKE 'authority_%'"
                    " GROUP BY t.case_id"
                ),
                {"ids": list(account_ids)},
            ).all()
        return dict(rows)

    def work_attempts(self, account_ids: list[str]) -> list[int]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.text(
                        "SELECT w.attempts FROM work_items w JOIN verification_cases c"
                        " ON c.case_id = w.ref WHERE c.account_id = ANY(:ids)"
                    ),
                    {"ids": list(account_ids)},
                ).scalars()
            )

    # --- processes -------------------------------------------------------------------------

    def start_verification(self, copy: int = 0, **overrides: str) -> None:
        self.stack.start("verification", copy, **{**self.env, **overrides})

    def restart_verification(self, **overrides: str) -> None:
        if self.stack.is_running("verification"):
            self.stack.kill("verification", sig=9)
        self.start_verification(**overrides)
        self.stack.wait_ready(timeout=90)

    # --- HTTP ----------------------------------------------------------------------------------

    def get(self, path: str, token: str, **kwargs) -> requests.Response:
        return requests.get(
            f"{self.stack.url}{path}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
            **kwargs,
        )

    def post(self, path: str, token: str, **kwargs) -> requests.Response:
        return requests.post(
            f"{self.stack.url}{path}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            **kwargs,
        )

    def my_status(self, token: str) -> dict:
        answer = self.get("/me/verification", token)
        answer.raise_for_status()
        return answer.json()


def start_stub(stack, stub_path: Path) -> None:
    stack.start_command(
        "accounts",
        0,
        [
            sys.executable,
            "-m",
            "nameko",
            "run",
            "--config",
            str(ROOT / "services/accounts/config.yml"),
            "tests.support.accounts_stub",
        ],
        ROOT,
        ACCOUNTS_STUB_PATH=str(stub_path),
    )


@pytest.fixture(scope="module")
def world(stack, isolation, tmp_path_factory):
    stub_path = tmp_path_factory.mktemp("verification") / "accounts.json"
    engine = sa.create_engine(isolation.db_url("verification"))
    w = World(stack, engine, stack.authority_registry, stub_path, {})
    w._save_stub()
    # every copy of the real accounts goes (a copy left by an earlier test would
    # answer resolve_session for tokens it never issued)
    for key in [k for k in list(stack.processes) if k[0] == "accounts"]:
        stack.kill(*key, sig=9)
    start_stub(stack, stub_path)
    stack.wait_ready(timeout=60)
    yield w
    for key in [
        k for k in list(stack.processes) if k[0] in ("accounts", "verification")
    ]:
        stack.kill(*key, sig=9)
    stack.start("accounts")
    stack.start("verification")
    engine.dispose()


@pytest.fixture
def w(world):
    """The world, with its stand-in accounts and one fast verification copy up."""
    stack = world.stack
    extra = [
        k for k in stack.processes if k[0] in ("verification", "accounts") and k[1] > 0
    ]
    for key in extra:
        stack.kill(*key, sig=9)
    if not stack.is_running("accounts"):
        start_stub(stack, world.stub_path)
    if not stack.is_running("verification"):
        world.start_verification()
    for service in ("gateway", "otp", "recovery"):
        if not stack.is_running(service):
            stack.start(service)
    stack.wait_ready(timeout=60)
    return world


def image_bytes(kind: str = "PNG", size=(120, 80)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (90, 120, 200)).save(out, format=kind)
    return out.getvalue()


# --- the automatic check ---------------------------------------------------------------------


def test_a_person_in_the_registry_passes_within_seconds(w):
    account_id, token = w.person(in_registry=True)
    assert w.my_status(token)["status"] == "unverified"
    started = time.monotonic()
    w.publish(w.registered(account_id))
    status = wait_for(
        lambda: (s := w.my_status(token))["status"] == "passed" and s, timeout=10
    )
    elapsed = time.monotonic() - started
    assert elapsed < 5, elapsed
    assert status["reason_code"] == "authority_match"
    assert [h["status"] for h in status["history"]] == ["pending", "passed"]
    assert [e.event_type for e in w.outcome_events([account_id])] == [
        "verification_passed"
    ]
    print(f"\nregistered -> passed in {elapsed:.2f}s")


def test_an_organisation_passes_only_when_all_three_match(w):
    good, _ = w.organization(in_registry=True)
    bad, _ = w.organization(in_registry=False)
    w.publish(w.registered(good, "organization"), w.registered(bad, "organization"))
    rows = {r.account_id: r for r in wait_for(lambda: w.decided([good, bad]))}
    assert rows[good].status == "passed"
    assert (rows[bad].status, rows[bad].reason_code) == ("failed", "no_record")


def test_a_redelivered_event_opens_one_case(w):
    account_id, _ = w.person()
    envelope = w.registered(account_id)
    w.publish(envelope, envelope, envelope)
    wait_for(lambda: w.decided([account_id]))
    # a later event proves the copies were consumed before we count
    marker, _ = w.person()
    w.publish(w.registered(marker))
    wait_for(lambda: w.decided([marker]))
    assert len(w.cases([account_id])) == 1
    assert len(w.outcome_events([account_id])) == 1


def test_a_profile_change_that_needs_reverifying_opens_a_new_case(w):
    account_id, token = w.person(in_registry=False)
    w.publish(w.registered(account_id))
    wait_for(lambda: w.decided([account_id]))
    assert w.my_status(token)["status"] == "failed"
    data = {"account_id": account_id, "account_kind": "person"}
    w.publish(
        events.envelope("accounts", "profile_changed", {**data, "reverify": False})
    )
    # the person fixes the data: now the authority knows them
    subject = w.stub["subjects"][account_id]
    with w.registry.open("a", encoding="utf-8") as handle:
        handle.write(f"person,{subject['name']},passport,{subject['doc_number']},,\n")
    w.publish(
        events.envelope("accounts", "profile_changed", {**data, "reverify": True})
    )
    status = wait_for(lambda: (s := w.my_status(token))["status"] == "passed" and s)
    cases = w.cases([account_id])
    assert sorted(r.status for r in cases) == ["passed", "superseded"]
    assert [h["status"] for h in status["history"]] == [
        "pending",
        "failed",
        "superseded",
        "pending",
        "passed",
    ]


def test_an_event_older_than_the_newest_case_opens_nothing(w):
    account_id, _ = w.person()
    w.publish(w.registered(account_id))
    wait_for(lambda: w.decided([account_id]))
    stale = w.registered(account_id, occurred_at=datetime.now(UTC) - timedelta(hours=1))
    marker, _ = w.person()
    w.publish(stale, w.registered(marker))
    wait_for(lambda: w.decided([marker]))
    assert len(w.cases([account_id])) == 1


# --- manual review over HTTP ------------------------------------------------------------------


def upload(w, token, files: dict[str, tuple[str, bytes, str]]) -> requests.Response:
    return w.post("/me/verification/materials", token, files=files)


def test_failed_then_materials_then_a_reviewer_approves(w):
    account_id, token = w.person(in_registry=False)
    _, reviewer = w.person(role="reviewer")
    w.publish(w.registered(account_id))
    failed = wait_for(lambda: (s := w.my_status(token))["status"] == "failed" and s)
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

    decision = w.post(
        f"/admin/review-cases/{case_id}/decision",
        reviewer,
        json={"decision": "approve", "reason": "documents are genuine"},
    )
    assert decision.status_code == 200, decision.text
    assert decision.json()["status"] == "passed"
    closed = w.post(
        f"/admin/review-cases/{case_id}/decision",
        reviewer,
        json={"decision": "reject", "reason": "changed my mind"},
    )
    assert closed.status_code == 409 and closed.json()["code"] == "case_closed"

    mine = w.my_status(token)
    assert (mine["status"], mine["reason_code"]) == ("passed", "reviewer_approved")
    with w.engine.connect() as conn:
        audit = conn.execute(
            sa.text(
                "SELECT reviewer_id, decision, reason, decided_at FROM review_decisions"
                " WHERE case_id = :c"
            ),
            {"c": case_id},
        ).all()
        stored = conn.execute(
            sa.text(
                "SELECT field, ciphertext FROM verification_materials WHERE case_id = :c"
            ),
            {"c": case_id},
        ).all()
    reviewer_id = w.stub["sessions"][reviewer]["account_id"]
    assert [(a.reviewer_id, a.decision, a.reason) for a in audit] == [
        (reviewer_id, "approve", "documents are genuine")
    ]
    assert audit[0].decided_at is not None
    # stored encrypted: no PNG or JPEG signature in the stored bytes
    for row in stored:
        assert b"PNG" not in bytes(row.ciphertext)[:64]
        assert b"\xff\xd8\xff" not in bytes(row.ciphertext)[:64]
    kinds = [e.event_type for e in w.outcome_events([account_id])]
    assert kinds == ["verification_failed", "verification_passed"]


def test_a_rejection_shows_the_reviewers_reason(w):
    account_id, token = w.organization(in_registry=False)
    _, reviewer = w.person(role="reviewer")
    w.publish(w.registered(account_id, "organization"))
    wait_for(lambda: w.my_status(token)["status"] == "failed")
    files = {
        name: (f"{name}.png", image_bytes(), "image/png")
        for name in ("id_front", "id_back", "licence")
    }
    case_id = upload(w, token, files).json()["case_id"]
    answer = w.post(
        f"/admin/review-cases/{case_id}/decision",
        reviewer,
        json={"decision": "reject", "reason": "licence is unreadable"},
    )
    assert answer.status_code == 200
    mine = w.my_status(token)
    assert (mine["status"], mine["reason"]) == ("rejected", "licence is unreadable")
    with w.engine.connect() as conn:
        purge_in = conn.execute(
            sa.text(
                "SELECT next_attempt_at - now() FROM work_items"
                " WHERE kind = 'purge_materials' AND ref = :c"
            ),
            {"c": case_id},
        ).scalar_one()
    assert timedelta(days=29) < purge_in <= timedelta(days=30)


def test_images_of_a_superseded_review_are_deleted(w):
    account_id, token = w.person(in_registry=False)
    w.publish(w.registered(account_id))
    wait_for(lambda: w.my_status(token)["status"] == "failed")
    files = {
        n: (f"{n}.png", image_bytes(), "image/png") for n in ("id_front", "id_back")
    }
    case_id = upload(w, token, files).json()["case_id"]

    def stored() -> int:
        with w.engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT count(*) FROM verification_materials WHERE case_id = :c"
                ),
                {"c": case_id},
            ).scalar_one()

    assert stored() == 2
    w.publish(
        events.envelope(
            "accounts",
            "profile_changed",
            {"account_id": account_id, "account_kind": "person", "reverify": True},
        )
    )
    wait_for(lambda: stored() == 0, what="the superseded case's images to be purged")
    statuses = {r.case_id: r.status for r in w.cases([account_id])}
    assert statuses.pop(case_id) == "superseded"
    assert list(statuses.values()) != []  # the newer case decides now


BAD_UPLOADS = {
    "wrong-type": (
        {"id_front": ("a.gif", b"GIF89a" + b"\x00" * 50, "image/png")},
        "file_type_unsupported",
    ),
    "oversized": (
        {
            "id_front": (
                "a.png",
                b"\x89PNG\r\n\x1a\n" + b"\x00" * (1024 * 1024),
                "image/png",
            )
        },
        "file_too_large",
    ),
    "corrupt": (
        {"id_front": ("a.png", image_bytes()[:100], "image/png")},
        "image_corrupt",
    ),
    "too-many": ({"licence": ("l.png", image_bytes(), "image/png")}, "unexpected_file"),
}


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_bad_uploads_are_422_and_store_nothing(w, case):
    account_id, token = w.person(in_registry=False)
    w.publish(w.registered(account_id))
    wait_for(lambda: w.my_status(token)["status"] == "failed")
    bad, code = BAD_UPLOADS[case]
    files = {
        "id_front": ("f.png", image_bytes(), "image/png"),
        "id_back": ("b.png", image_bytes(), "image/png"),
    }
    files.update(bad)
    answer = upload(w, token, files)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == code
    assert w.my_status(token)["status"] == "failed"
    with w.engine.connect() as conn:
        stored = conn.execute(
            sa.text(
                "SELECT count(*) FROM verification_materials m JOIN verification_cases c"
                " USING (case_id) WHERE c.account_id = :a"
            ),
            {"a": account_id},
        ).scalar_one()
    assert stored == 0


def test_a_decompression_bomb_is_422(w):
    account_id, token = w.person(in_registry=False)
    w.publish(w.registered(account_id))
    wait_for(lambda: w.my_status(token)["status"] == "failed")
    out = io.BytesIO()
    Image.new("1", (6000, 6000), 0).save(out, format="PNG", optimize=True)
    bomb = out.getvalue()
    assert len(bomb) < 100_000
    answer = upload(
        w,
        token,
        {
            "id_front": ("f.png", bomb, "image/png"),
            "id_back": ("b.png", image_bytes(), "image/png"),
        },
    )
    assert answer.status_code == 422 and answer.json()["code"] == "image_too_large"


# --- durability ---------------------------------------------------------------------------------


def test_an_authority_outage_delays_cases_and_never_fails_them(w):
    w.stack.kill("verification", sig=9)
    w.start_verification(AUTHORITY_DOWN="true")
    w.stack.wait_ready(timeout=90)
    accounts = [w.person()[0] for _ in range(5)]
    w.publish(*(w.registered(a) for a in accounts))
    # the work is tried again and again while the authority is down ...
    wait_for(
        lambda: len(attempts := w.work_attempts(accounts)) == 5 and min(attempts) >= 3,
        timeout=20,
        what="retries during the outage",
    )
    rows = w.cases(accounts)
    assert [r.status for r in rows] == ["pending"] * 5
    assert w.outcome_events(accounts) == []
    with w.engine.connect() as conn:
        errors = set(
            conn.execute(
                sa.text(
                    "SELECT w.last_error FROM work_items w JOIN verification_cases c"
                    " ON c.case_id = w.ref WHERE c.account_id = ANY(:ids)"
                ),
                {"ids": accounts},
            ).scalars()
        )
    assert errors == {"RetryLater: authority_unavailable"}
    # ... and completes once it is back
    w.stack.kill("verification", sig=9)
    started = time.monotonic()
    w.start_verification()
    rows = wait_for(lambda: w.decided(accounts), timeout=30)
    print(
        f"\nafter the outage: 5 cases decided {time.monotonic() - started:.2f}s after restart"
    )
    assert [r.status for r in rows] == ["passed"] * 5


def test_a_kill_mid_batch_loses_no_case_and_decides_none_twice(w):
    w.stack.kill("verification", sig=9)
    slow = {"AUTHORITY_LATENCY_MS": "400", "WORK_CONCURRENCY": "4"}
    w.start_verification(**slow)
    w.stack.wait_ready(timeout=90)
    accounts = [w.person(in_registry=i % 3 != 0)[0] for i in range(20)]
    w.publish(*(w.registered(a) for a in accounts))
    # kill -9 while some are decided and others are claimed and in flight
    wait_for(
        lambda: 4 <= len([r for r in w.cases(accounts) if r.status != "pending"]),
        timeout=20,
    )
    w.stack.kill("verification", sig=9)
    undecided = [r for r in w.cases(accounts) if r.status == "pending"]
    assert undecided, "the kill came too late to test anything"
    w.start_verification(**slow)
    rows = wait_for(lambda: w.decided(accounts), timeout=40)
    assert len(rows) == 20
    outcomes = w.outcome_events(accounts)
    assert len(outcomes) == 20
    assert len({e.case_id for e in outcomes}) == 20
    assert set(w.decisions_per_case(accounts).values()) == {1}


def test_two_copies_share_the_work_and_decide_each_case_once(w):
    w.stack.kill("verification", sig=9)
    slow = {"AUTHORITY_LATENCY_MS": "200", "WORK_CONCURRENCY": "3"}
    w.start_verification(**slow)
    w.start_verification(copy=1, **slow)
    w.stack.wait_ready(timeout=90)
    accounts = [w.person()[0] for _ in range(20)]
    w.publish(*(w.registered(a) for a in accounts))
    wait_for(lambda: w.decided(accounts), timeout=30)
    assert len(w.outcome_events(accounts)) == 20
    assert set(w.decisions_per_case(accounts).values()) == {1}

    def work_done_by(copy: int) -> int:
        path = w.stack.log_path("verification", copy)
        return sum(
            1
            for line in path.read_text(errors="replace").splitlines()
            if '"entrypoint": "check_case"' in line and "entrypoint finished" in line
        )

    assert work_done_by(1) > 0


@pytest.mark.parametrize("megabytes", [3, 20])
def test_a_large_upload_is_refused_while_it_streams(w, megabytes):
    account_id, token = w.person(in_registry=False)
    w.publish(w.registered(account_id))
    wait_for(lambda: w.my_status(token)["status"] == "failed")
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (megabytes * 1024 * 1024)
    started = time.monotonic()
    try:
        answer = upload(w, token, {"id_front": ("big.png", big, "image/png")})
    except requests.ConnectionError:
        # past the drain limit the gateway answers and closes; a client still
        # sending may see the reset instead of the 422 (never a 5xx, nothing kept)
        answer = None
    elapsed = time.monotonic() - started
    if answer is not None:
        assert answer.status_code == 422 and answer.json()["code"] == "file_too_large"
    assert w.my_status(token)["status"] == "failed"
    print(
        f"\n{megabytes} MB upload refused in {elapsed:.2f}s ({answer and answer.status_code})"
    )
