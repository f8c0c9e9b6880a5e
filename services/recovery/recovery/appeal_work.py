"""The durable work after an appeal's decision (``servicekit.workqueue`` items):
recover the account, tell the appellant about a rejection, delete the images.

Each is safe to run again after a crash: accounts and otp deduplicate by the appeal
id, and the state change is conditional.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager

from contracts.errors import ServiceError
from servicekit.workqueue import RetryLater

from recovery import repository as repo
from recovery.appeals import PHONE, RECOVER_ACCOUNT, TICKET, AppealDeps, password_aad
from recovery.flow import APPEAL, AppealState, AppealTrigger

# a dependency's answer that means "not now": the item is retried with back-off
OUTAGES = ("dependency_unavailable", "unavailable")
# the ticket of an appeal stored before tickets were kept encrypted (migration 0004):
# "the ticket you were given when you submitted"
TICKET_GIVEN_AT_SUBMISSION = "提交申诉时获得的查询码"


@contextmanager
def _retried_on_outage() -> Iterator[None]:
    try:
        yield
    except ServiceError as exc:
        if exc.error_code in OUTAGES:
            raise RetryLater(exc.error_code) from None
        raise


def _appeal_in(deps: AppealDeps, appeal_id: str, state: AppealState):
    """The appeal if it is in ``state``, else None (the work is not, or no longer,
    due)."""
    with deps.session.begin():
        row = repo.get_appeal(deps.session, appeal_id)
    return row if row is not None and row.state == state else None


def recover_account(deps: AppealDeps, appeal_id: str, payload: dict) -> str:
    """Set the temporary password at accounts (once per appeal id) and have otp
    send it (once per appeal id), then move the appeal to ``recovered``.

    Safe to run again after a crash at any point: both calls are idempotent by
    the appeal id, and the password is the one kept (encrypted) in the item.
    Raises :class:`RetryLater` while accounts or otp cannot answer."""
    row = _appeal_in(deps, appeal_id, AppealState.APPROVED)
    if row is None:
        return "skipped"
    password = deps.cipher.decrypt_bytes(
        base64.b64decode(payload["password_enc"]), password_aad(appeal_id)
    ).decode()
    phone = deps.cipher.decrypt(row.phone_enc, PHONE)
    with _retried_on_outage():
        result = deps.accounts.set_temporary_password(
            account_id=row.matched_account_id,
            password=password,
            phone=phone,
            request_id=appeal_id,
        )
        deps.otp.send_notice(
            phone=phone,
            template="temporary_password",
            params={"login_name": result.login_name, "password": password},
            dedupe_key=appeal_id,
        )
    trigger = AppealTrigger.PASSWORD_SENT
    with deps.session.begin():
        moved = repo.transition(
            deps.session,
            appeal_id,
            from_state=AppealState.APPROVED,
            to_state=APPEAL.advance(AppealState.APPROVED, trigger),
            trigger=trigger,
            now=deps.clock(),
        )
        repo.forget_work_payload(deps.session, RECOVER_ACCOUNT, appeal_id)
    return "recovered" if moved else "skipped"


def notify_rejection(deps: AppealDeps, appeal_id: str) -> str:
    """Send the reviewer's reason to the appeal's phone (once: otp dedupes by key),
    with the appeal id and the ticket: all the status look-up needs.

    The ticket may go there: the appellant proved that phone with an SMS code when
    submitting and was given the ticket then, so the SMS tells its reader nothing
    new; and the ticket only reads the status, whose reason the SMS already says."""
    row = _appeal_in(deps, appeal_id, AppealState.REJECTED)
    if row is None:
        return "skipped"
    reason = "".join(ch for ch in (row.reason or "") if ch.isprintable())[:64]
    ticket = (
        deps.cipher.decrypt(row.ticket_enc, TICKET)
        if row.ticket_enc is not None
        else TICKET_GIVEN_AT_SUBMISSION
    )
    with _retried_on_outage():
        deps.otp.send_notice(
            phone=deps.cipher.decrypt(row.phone_enc, PHONE),
            template="appeal_rejected",
            params={"appeal_id": appeal_id, "ticket": ticket, "reason": reason or "-"},
            dedupe_key=appeal_id + ":rejected",
        )
    return "sent"


def purge_files(deps: AppealDeps, appeal_id: str) -> int:
    """Delete a decided appeal's images (``APPEAL_FILE_RETENTION_SECONDS`` after
    the decision). Idempotent."""
    with deps.session.begin():
        return repo.delete_files(deps.session, appeal_id)
