"""Inputs of the appeal tests (appeals, images, phones), what the database holds after
them, and the races two callers run on one appeal.
"""

from __future__ import annotations

import base64
import io
import random
import threading
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from contracts.phones import PhoneInvalid, normalize_phone
from PIL import Image
from recovery import appeal_intake, appeal_review, appeal_work, appeals
from recovery.models import appeal_decisions, appeal_files, outbox, work_items

from tests.integration.recovery.appeal_fakes import Deps

_random = random.Random()


def random_phone() -> str:
    while True:
        try:
            return normalize_phone(f"+86139{_random.randrange(10**8):08d}")
        except PhoneInvalid:
            continue


def png() -> str:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (1, 2, 3)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def person(phone: str | None = None) -> dict:
    return {
        "name": "张伟",
        "identity_region": "other",
        "doc_type": "passport",
        "doc_number": "e 1234567",
        "phone": phone or random_phone(),
        "sms_code": "123456",
    }


def submit(deps: Deps, phone: str | None = None, **kwargs) -> dict:
    return appeal_intake.submit_person_appeal(
        deps(**kwargs),
        person(phone),
        {"id_front": png(), "id_back": png()},
        "198.18.0.7",
    )


def decide(deps: Deps, case_id, decision="approve", reviewer="rev_1", **kwargs):
    return appeal_review.decide_review_case(
        deps(**kwargs), case_id, decision, f"{decision}: checked", reviewer
    )


def recover(deps: Deps, appeal_id: str) -> str:
    return appeal_work.recover_account(
        deps(), appeal_id, payload(deps.engine, appeal_id)
    )


def appeal_row(engine, appeal_id: str):
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT * FROM appeals WHERE id = :a"), {"a": appeal_id}
        ).one_or_none()


def count_appeals(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM appeals")).scalar_one()


def audit(engine, appeal_id: str) -> list[tuple]:
    with engine.connect() as conn:
        return [
            (r.reviewer_id, r.decision, r.from_state, r.to_state)
            for r in conn.execute(
                sa.select(appeal_decisions)
                .where(appeal_decisions.c.appeal_id == appeal_id)
                .order_by(appeal_decisions.c.id)
            )
        ]


def work(engine, appeal_id: str) -> list[str]:
    with engine.connect() as conn:
        return sorted(
            conn.execute(
                sa.select(work_items.c.kind).where(work_items.c.ref == appeal_id)
            ).scalars()
        )


def payload(engine, appeal_id: str) -> dict:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(work_items.c.payload).where(
                work_items.c.kind == appeals.RECOVER_ACCOUNT,
                work_items.c.ref == appeal_id,
            )
        ).scalar_one()


def events(engine, appeal_id: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(outbox.c.event_type)
                .where(outbox.c.envelope["data"]["appeal_id"].astext == appeal_id)
                .order_by(outbox.c.created_at)
            ).scalars()
        )


def file_count(engine, appeal_id: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).where(appeal_files.c.appeal_id == appeal_id)
        ).scalar_one()


def waiting_for_a_lock(engine) -> int:
    """Backends of this database blocked on a lock (a racer at FOR UPDATE)."""
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()


def deciding(deps: Deps, appeal_id: str, decision: str, reviewer: str, overlaps):
    """One racing reviewer: its own session, and the clock of ``holding_the_case``."""
    return lambda: decide(
        deps,
        appeal_id,
        decision,
        reviewer,
        clock=holding_the_case(deps.engine, overlaps),
    )


def recovering(deps: Deps, appeal_id: str, item: dict):
    """One racing copy of the recovery work item, with its own session."""
    return lambda: appeal_work.recover_account(deps(), appeal_id, item)


def race(*calls) -> list:
    """Run the calls in threads released together; each result or raised error."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait(timeout=5)
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the race's outcome is the result
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def holding_the_case(engine, overlaps: list):
    """A clock for the deciding racer: it is asked the time after it locked and
    checked the case, so it waits (up to 2 s) until its rival is seen blocked on
    that lock: the rival really arrived while the decision was in flight."""

    def clock_after_rival_blocked() -> datetime:
        deadline = time.monotonic() + 2
        while not waiting_for_a_lock(engine):
            if time.monotonic() > deadline:
                overlaps.append(False)
                return datetime.now(UTC)
            time.sleep(0.01)
        overlaps.append(True)
        return datetime.now(UTC)

    return clock_after_rival_blocked


CODE = "91350100M000100Y43"
FILES = {"licence": png(), "id_front": png(), "id_back": png()}


def submit_organization(deps: Deps, unit_name="示例科技有限公司", code=CODE) -> str:
    lookup = appeal_intake.start_organization_lookup(
        deps(), unit_name, "cap_1", "right", "198.18.0.9", code
    )
    return appeal_intake.submit_organization_appeal(
        deps(),
        {
            "lookup_id": lookup["lookup_id"],
            "contact_name": "李娜",
            "contact_phone": random_phone(),
            "sms_code": "654321",
        },
        FILES,
        "198.18.0.9",
    )["appeal_id"]
