"""verification's use cases against a real, migrated PostgreSQL (no Nameko, no
broker): the conditional decisions that make work items safe to run again."""

from __future__ import annotations

import base64
import io
import secrets
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from contracts import errors as ce
from contracts.accounts import ClaimedIdentity, ClaimedPerson, VerificationSubject
from PIL import Image
from servicekit.crypto import PersonalDataCipher
from servicekit.outbox import add_event
from servicekit.workqueue import RetryLater
from sqlalchemy.orm import Session
from verification import case_intake, case_review, case_work
from verification.authority import AuthorityUnavailable, Verdict
from verification.cases import ImageLimits
from verification.models import outbox, review_decisions, review_views, work_items

from tests.support.isolation import migrated_engine

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def engine():
    with migrated_engine("verification", pool_size=10) as engine:
        yield engine


def clock() -> datetime:
    return datetime.now(UTC)


class Subjects:
    def get(self, account_id):
        return VerificationSubject(
            account_id=account_id,
            account_kind="person",
            name="x",
            doc_type="passport",
            doc_number="E1",
        )


class Claims:
    """accounts' ``claimed_identity_for_review``: a claim for a reviewer ``rev_*``,
    ``Forbidden`` for anyone else (as accounts answers)."""

    def get(self, account_id, reviewer_id):
        if reviewer_id == "rev_while_accounts_is_down":
            raise ce.Unavailable("dependency_unavailable", "accounts did not answer")
        if not reviewer_id.startswith("rev_"):
            raise ce.Forbidden("reviewer_required", "not a reviewer")
        return ClaimedIdentity(
            account_id=account_id,
            account_kind="person",
            person=ClaimedPerson(
                name="x",
                identity_region="other",
                doc_type="passport",
                doc_number="E1",
            ),
            organization=None,
        )


def view(engine, case_id, reviewer_id="rev_1", correlation_id="req-v"):
    """``get_review_case`` as the reviewer ``reviewer_id`` opens the case."""
    with Session(engine) as session:
        return case_review.get_review_case(
            session,
            case_id,
            CIPHER,
            reviewer_id=reviewer_id,
            claims=Claims(),
            correlation_id=correlation_id,
            clock=clock,
        )


def views(engine, case_id) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(review_views)
            .where(review_views.c.case_id == case_id)
            .order_by(review_views.c.id)
        ).all()
    return [(r.reviewer_id, r.correlation_id) for r in rows]


class Authority:
    def __init__(self, matched=True, down=False, barrier=None):
        self.matched, self.down, self.barrier = matched, down, barrier
        self.calls = 0

    def check_person(self, query):
        self.calls += 1
        if self.barrier is not None:
            self.barrier.wait(timeout=5)  # both racers are past their reads
        if self.down:
            raise AuthorityUnavailable("down")
        return Verdict(self.matched, "authority_match" if self.matched else "no_record")

    check_organization = check_person


def emitter(session):
    """``WorkerDatabase.emit`` without Nameko: an event model into the outbox."""

    def emit(event):
        return add_event(session, outbox, event, correlation_id=None)

    return emit


def open_case(engine, account_id=None, occurred_at=None) -> tuple[str, str]:
    account_id = account_id or "acc_" + secrets.token_hex(6)
    with Session(engine) as session, session.begin():
        case_id = case_intake.open_case(
            session,
            event_id=secrets.token_hex(8),
            account_id=account_id,
            account_kind="person",
            occurred_at=occurred_at or clock(),
            correlation_id=None,
            now=clock(),
        )
    return account_id, case_id


def check(engine, case_id, authority) -> str:
    with Session(engine) as session:
        return case_work.check_case(
            session,
            emitter(session),
            case_id=case_id,
            subjects=Subjects(),
            authority=authority,
            clock=clock,
        )


def outcomes(engine, case_id) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(outbox.c.event_type).where(
                    outbox.c.envelope["data"]["case_id"].astext == case_id,
                    outbox.c.event_type.in_(
                        ["verification_passed", "verification_failed"]
                    ),
                )
            ).scalars()
        )


def status(engine, case_id) -> str:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT state FROM verification_cases WHERE id = :c"),
            {"c": case_id},
        ).scalar_one()


def test_opening_a_case_enqueues_its_check(engine):
    _, case_id = open_case(engine)
    with engine.connect() as conn:
        kinds = (
            conn.execute(
                sa.select(work_items.c.kind).where(work_items.c.ref == case_id)
            )
            .scalars()
            .all()
        )
    assert kinds == ["check_case"]
    assert status(engine, case_id) == "pending"


def test_two_racing_checks_decide_once_and_emit_once(engine):
    _, case_id = open_case(engine)
    authority = Authority(barrier=threading.Barrier(2))
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(check(engine, case_id, authority))
        )
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert authority.calls == 2  # both really ran ...
    assert sorted(results) == ["passed", "skipped"]  # ... one decided
    assert outcomes(engine, case_id) == ["verification_passed"]


def test_a_check_after_the_decision_changes_nothing(engine):
    _, case_id = open_case(engine)
    assert check(engine, case_id, Authority(matched=False)) == "failed"
    assert check(engine, case_id, Authority(matched=True)) == "skipped"
    assert status(engine, case_id) == "failed"
    assert outcomes(engine, case_id) == ["verification_failed"]


def test_an_outage_is_retry_later_and_the_case_stays_pending(engine):
    _, case_id = open_case(engine)
    with pytest.raises(RetryLater):
        check(engine, case_id, Authority(down=True))
    assert status(engine, case_id) == "pending"
    assert outcomes(engine, case_id) == []


def test_a_newer_case_supersedes_and_an_older_event_opens_nothing(engine):
    account_id, first = open_case(engine)
    _, second = open_case(engine, account_id)
    assert (status(engine, first), status(engine, second)) == ("superseded", "pending")
    assert check(engine, first, Authority()) == "skipped"
    _, stale = open_case(engine, account_id, occurred_at=clock() - timedelta(hours=1))
    assert stale is None


def png() -> str:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (1, 2, 3)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


CIPHER = PersonalDataCipher({"k1": b"\x05" * 32}, "k1", b"\x06" * 32)


def submit(engine, account_id, files):
    with Session(engine) as session:
        return case_intake.submit_materials(
            session,
            emitter(session),
            account_id=account_id,
            account_kind="person",
            files=files,
            cipher=CIPHER,
            limits=ImageLimits(),
            clock=clock,
        )


def test_materials_are_all_or_nothing_and_only_after_a_failure(engine):
    account_id, case_id = open_case(engine)
    good = {"id_front": png(), "id_back": png()}
    with pytest.raises(ce.Conflict):
        submit(engine, account_id, good)  # still pending
    check(engine, case_id, Authority(matched=False))
    bad = {"id_front": png(), "id_back": base64.b64encode(b"GIF89a...").decode()}
    with pytest.raises(ce.InvalidInput) as refused:
        submit(engine, account_id, bad)
    assert refused.value.error_code == "file_type_unsupported"
    assert status(engine, case_id) == "failed"
    assert submit(engine, account_id, good)["status"] == "manual_review"
    case = view(engine, case_id)
    assert [f["field"] for f in case["files"]] == ["id_back", "id_front"]


def test_each_view_is_audited_and_a_refused_one_records_nothing(engine):
    account_id, case_id = open_case(engine)
    check(engine, case_id, Authority(matched=False))
    submit(engine, account_id, {"id_front": png(), "id_back": png()})
    with pytest.raises(ce.Forbidden):
        view(engine, case_id, reviewer_id="acc_not_a_reviewer")
    with pytest.raises(ce.Unavailable):
        view(engine, case_id, reviewer_id="rev_while_accounts_is_down")
    with pytest.raises(ce.InvalidInput) as nobody:
        view(engine, case_id, reviewer_id="")
    assert nobody.value.error_code == "reviewer_required"
    assert views(engine, case_id) == []
    first = view(engine, case_id, "rev_1", "req-1")
    assert first["claimed_identity"]["person"]["doc_number"] == "E1"
    assert first["claimed_identity_is_current"] is True
    second = view(engine, case_id, "rev_2", "req-2")
    assert views(engine, case_id) == [("rev_1", "req-1"), ("rev_2", "req-2")]
    assert [v["reviewer_id"] for v in second["views"]] == ["rev_1", "rev_2"]
    # a newer case of the account: what is shown may have changed since
    open_case(engine, account_id)
    assert view(engine, case_id)["claimed_identity_is_current"] is False


def test_a_decision_is_audited_once_and_a_second_is_refused(engine):
    account_id, case_id = open_case(engine)
    check(engine, case_id, Authority(matched=False))
    submit(engine, account_id, {"id_front": png(), "id_back": png()})

    def decide(decision, reason="why"):
        with Session(engine) as session:
            return case_review.decide_review_case(
                session,
                emitter(session),
                case_id=case_id,
                decision=decision,
                reason=reason,
                reviewer_id="rev_1",
                correlation_id="req-1",
                clock=clock,
            )

    with pytest.raises(ce.InvalidInput):
        decide("maybe")
    with pytest.raises(ce.InvalidInput):
        decide("reject", reason="   ")
    assert decide("reject", "blurred")["status"] == "rejected"
    with pytest.raises(ce.Conflict) as closed:
        decide("approve")
    assert closed.value.error_code == "case_closed"
    with engine.connect() as conn:
        audit = conn.execute(
            sa.select(review_decisions).where(review_decisions.c.case_id == case_id)
        ).all()
    assert [(a.reviewer_id, a.decision, a.reason, a.correlation_id) for a in audit] == [
        ("rev_1", "reject", "blurred", "req-1")
    ]
    assert outcomes(engine, case_id) == ["verification_failed", "verification_failed"]


@pytest.mark.parametrize("case_id", ["vrf_\x00", "vrf_" + "0" * 31 + "\x00", "vrf_x"])
def test_an_id_no_case_can_have_is_not_found_without_a_query(engine, case_id):
    """A NUL would make PostgreSQL refuse the query (a 500); such an id names no case."""
    with pytest.raises(ce.NotFound):
        view(engine, case_id)
    with Session(engine) as session, pytest.raises(ce.NotFound):
        case_review.decide_review_case(
            session,
            emitter(session),
            case_id=case_id,
            decision="approve",
            reason="fine",
            reviewer_id="rev_1",
            correlation_id=None,
            clock=clock,
        )
