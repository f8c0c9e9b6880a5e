"""The work after a decision: the recovery work item run twice or at once, an outage
at accounts, a rejection's work run again.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from recovery import appeal_intake, appeal_work, appeals
from recovery.models import work_items
from servicekit.workqueue import RetryLater

from tests.integration.recovery.appeal_fakes import (
    ROUNDS,
    SETTINGS,
    AccountsProxy,
    clock,
)
from tests.integration.recovery.appeal_helpers import (
    appeal_row,
    decide,
    file_count,
    payload,
    race,
    random_phone,
    recovering,
    submit,
)

pytestmark = pytest.mark.integration


def test_recovery_run_again_sets_one_password_and_sends_one_sms(engine, make):
    deps = make()
    phone = random_phone()
    appeal_id = submit(deps, phone)["appeal_id"]
    decide(deps, appeal_id)
    item = payload(engine, appeal_id)

    deps.otp.down = True  # a crash between the two calls: the password is set ...
    with pytest.raises(RetryLater) as later:
        appeal_work.recover_account(deps(), appeal_id, item)
    assert later.value.error_code == "dependency_unavailable"
    assert appeal_row(engine, appeal_id).state == "approved"
    assert payload(engine, appeal_id) == item  # ... and still sendable
    deps.otp.down = False
    assert appeal_work.recover_account(deps(), appeal_id, item) == "recovered"
    # the lease ran out: another copy runs the item it claimed earlier
    assert appeal_work.recover_account(deps(), appeal_id, item) == "skipped"

    sets = deps.accounts.sets()
    assert len(sets) == 2 and sets[0] == sets[1]  # the same password both times
    assert sets[0]["request_id"] == appeal_id and sets[0]["phone"] == phone
    assert list(deps.accounts.applied) == [appeal_id]
    password = sets[0]["password"]
    assert [n["dedupe_key"] for n in deps.otp.notices()] == [appeal_id, appeal_id]
    assert list(deps.otp.queued.values()) == [
        {
            "phone": phone,
            "template": "temporary_password",
            "params": {"login_name": "zhang_wei", "password": password},
        }
    ]
    assert appeal_row(engine, appeal_id).state == "recovered"
    assert payload(engine, appeal_id) == {}  # the encrypted password is gone


def test_two_recoveries_at_once_set_one_password_and_send_one_sms(engine, make):
    for _ in range(ROUNDS):
        deps = make(accounts=AccountsProxy(barrier=threading.Barrier(2)))
        answer = submit(deps)
        appeal_id = answer["appeal_id"]
        decide(deps, appeal_id)
        item = payload(engine, appeal_id)
        results = race(*[recovering(deps, appeal_id, item)] * 2)
        assert sorted(results, key=str) == ["recovered", "skipped"], results
        sets = deps.accounts.sets()
        assert len(sets) == 2 and sets[0] == sets[1]
        assert list(deps.accounts.applied) == [appeal_id]
        assert len(deps.otp.queued) == 1
        (notice,) = deps.otp.queued.values()
        assert notice["params"]["password"] == sets[0]["password"]
        assert appeal_row(engine, appeal_id).state == "recovered"
        assert payload(engine, appeal_id) == {}
        status = appeal_intake.get_appeal_status(deps(), appeal_id, answer["ticket"])
        assert status["status"] == "approved"  # recovered shows as approved


def test_an_outage_at_accounts_retries_later_and_changes_nothing(engine, make):
    deps = make()
    appeal_id = submit(deps)["appeal_id"]
    decide(deps, appeal_id)
    item = payload(engine, appeal_id)
    deps.accounts.down = True
    with pytest.raises(RetryLater):
        appeal_work.recover_account(deps(), appeal_id, item)
    assert deps.otp.notices() == [] and deps.accounts.applied == {}
    assert appeal_row(engine, appeal_id).state == "approved"
    assert payload(engine, appeal_id) == item


def test_the_work_of_a_rejection_is_safe_to_run_again(engine, make):
    deps = make()
    phone = random_phone()
    answer = submit(deps, phone)
    appeal_id = answer["appeal_id"]
    decide(deps, appeal_id, "reject")
    assert appeal_work.recover_account(deps(), appeal_id, {"password_enc": "x"}) == (
        "skipped"
    )
    assert deps.accounts.sets() == []
    assert appeal_work.notify_rejection(deps(), appeal_id) == "sent"
    assert appeal_work.notify_rejection(deps(), appeal_id) == "sent"
    assert [n["dedupe_key"] for n in deps.otp.notices()] == [
        f"{appeal_id}:rejected"
    ] * 2
    assert list(deps.otp.queued.values()) == [
        {
            "phone": phone,
            "template": "appeal_rejected",
            "params": {
                "appeal_id": appeal_id,
                "ticket": answer["ticket"],
                "reason": "reject: checked",
            },
        }
    ]
    status = appeal_intake.get_appeal_status(deps(), appeal_id, answer["ticket"])
    assert (status["status"], status["reason"]) == ("rejected", "reject: checked")
    assert status["decided_at"] is not None

    assert appeal_work.purge_files(deps(), appeal_id) == 2
    assert appeal_work.purge_files(deps(), appeal_id) == 0
    assert file_count(engine, appeal_id) == 0
    with engine.connect() as conn:
        due = conn.execute(
            sa.select(work_items.c.next_attempt_at).where(
                work_items.c.kind == appeals.PURGE_FILES,
                work_items.c.ref == appeal_id,
            )
        ).scalar_one()
    retention = timedelta(seconds=SETTINGS.retention_seconds)
    assert abs(due - (clock() + retention)) < timedelta(minutes=1)

    approved = submit(deps)["appeal_id"]
    decide(deps, approved)
    assert appeal_work.notify_rejection(deps(), approved) == "skipped"


def test_an_appeal_stored_before_tickets_were_kept_is_still_told_its_rejection(
    engine, make
):
    """Appeals stored before migration 0004 have no encrypted ticket: their SMS
    still goes (with valid params), pointing to the ticket given at submission."""
    deps = make()
    appeal_id = submit(deps)["appeal_id"]
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE appeals SET ticket_enc = NULL WHERE id = :a"),
            {"a": appeal_id},
        )
    decide(deps, appeal_id, "reject")
    assert appeal_work.notify_rejection(deps(), appeal_id) == "sent"
    [notice] = deps.otp.queued.values()
    assert notice["params"] == {
        "appeal_id": appeal_id,
        "ticket": appeal_work.TICKET_GIVEN_AT_SUBMISSION,
        "reason": "reject: checked",
    }
