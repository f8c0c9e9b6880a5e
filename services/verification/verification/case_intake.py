"""How verification cases come in: opened by accounts' events, shown to their user,
and moved to review by the user's materials (plain functions, no Nameko import)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from contracts import errors as ce
from contracts.verification import (
    MATERIAL_FIELDS,
    NO_CASE_STATUS,
    VerificationReviewRequested,
)
from servicekit.decode_pool import decode_pool
from servicekit.images import (
    CleanImage,
    decode_uploads,
    encrypted_columns,
    inspect_uploads,
)
from sqlalchemy.orm import Session

from verification import repository as repo
from verification.cases import (
    ACCOUNT_KINDS,
    CHECK_CASE,
    Cipher,
    Emit,
    ImageLimits,
    material_aad,
    review_summary,
    schedule,
    schedule_purge,
)
from verification.flow import (
    ACCEPTS_MATERIALS,
    REOPENED_BY_MATERIALS,
    CaseState,
    Trigger,
)

_log = logging.getLogger("verification.case_intake")


def open_case(
    session: Session,
    *,
    event_id: str,
    account_id: str,
    account_kind: str,
    occurred_at: datetime,
    correlation_id: str | None,
    now: datetime,
    parent_call_id: str | None = None,
) -> str | None:
    """Open a ``pending`` case and its durable check, in the caller's transaction.

    Open cases of the account are superseded (its data changed: only the newest
    case may decide). An event older than the account's newest case (delivered
    out of order) opens nothing. Returns the new case id, or None.
    """
    if account_kind not in ACCOUNT_KINDS:
        _log.warning("ignoring a case for an unknown account kind %r", account_kind)
        return None
    repo.lock_account(session, account_id)
    newest = repo.latest_case(session, account_id)
    if newest is not None and newest.requested_at > occurred_at:
        _log.info("an older event arrived after a newer case; nothing to open")
        return None
    for old in repo.open_cases(session, account_id):
        repo.transition(
            session,
            old.id,
            from_state=old.state,
            trigger=Trigger.NEWER_CASE_OPENED,
            reason_code=None,
            now=now,
        )
        if old.submitted_at is not None:
            # nobody will review these images now
            schedule_purge(session, old.id, 0.0, correlation_id, parent_call_id)
    case_id = repo.new_case_id()
    repo.insert_case(
        session,
        case_id=case_id,
        account_id=account_id,
        account_kind=account_kind,
        opened_by_event=event_id,
        requested_at=occurred_at,
        correlation_id=correlation_id,
        now=now,
    )
    schedule(session, CHECK_CASE, case_id, correlation_id, parent_call_id)
    return case_id


def get_verification(session: Session, account_id: str) -> dict:
    """What the user sees: the newest case's state (``status`` in the answer), why,
    whether materials are accepted, and every state change of every case."""
    with session.begin():
        case = repo.latest_case(session, account_id)
        history = repo.account_history(session, account_id)
    if case is None:
        return {
            "account_id": account_id,
            "status": NO_CASE_STATUS,
            "reason_code": None,
            "reason": None,
            "case_id": None,
            "can_upload_materials": False,
            "history": [],
        }
    return {
        "account_id": account_id,
        "status": case.state,
        "reason_code": case.reason_code,
        # the reviewer's words are shown on a rejection only
        "reason": case.reason if case.state == CaseState.REJECTED else None,
        "case_id": case.id,
        "can_upload_materials": case.state in ACCEPTS_MATERIALS,
        "history": [
            {
                "case_id": h.case_id,
                "status": h.to_state,
                "trigger": h.trigger,
                "reason_code": h.reason_code,
                "at": h.at.isoformat(),
            }
            for h in history
        ],
    }


def _checked_images(
    account_kind: str, files: object, limits: ImageLimits
) -> dict[str, CleanImage]:
    """Every expected image, cleaned; raises ``InvalidInput`` with every problem of
    the cheap checks (size, type, header), or else with every image that does not
    decode. Decoding runs on servicekit's bounded pool, off the event loop."""
    if not isinstance(files, dict):
        raise ce.InvalidInput("file_missing", "no files were sent")
    inspected, errors = inspect_uploads(
        files,
        MATERIAL_FIELDS[account_kind],
        limits.max_bytes,
        limits.max_pixels,
        unexpected="{name} is not a material of this account",
    )
    if errors:
        raise ce.invalid_fields(errors)
    # the pixels only once every cheap check passed, on the bounded pool
    return decode_uploads(inspected, decode_pool(limits.decode_threads))


def _case_for_materials(session: Session, account_id: str, now: datetime):
    """The case the materials go to, in ``manual_review``: the failed case moved
    there, or after a rejection a new case opened there (the rejected one keeps
    its decision and audit). Raises ``Conflict`` (``materials_not_expected``)
    while a case is pending or in review, after a pass, and with no case."""
    case = repo.latest_case(session, account_id, for_update=True)
    if case is not None and case.state in REOPENED_BY_MATERIALS:
        case_id = repo.new_case_id()
        repo.insert_case(
            session,
            case_id=case_id,
            account_id=case.account_id,
            account_kind=case.account_kind,
            opened_by_event=f"materials_after:{case.id}",
            requested_at=now,
            correlation_id=None,
            now=now,
            state=CaseState.MANUAL_REVIEW,
        )
        return repo.get_case(session, case_id)
    if case is None or case.state not in ACCEPTS_MATERIALS:
        raise ce.Conflict(
            "materials_not_expected",
            "materials are accepted only after an automatic check failed "
            "or a reviewer rejected them",
            {"case_status": case.state if case else NO_CASE_STATUS},
        )
    repo.transition(
        session,
        case.id,
        from_state=case.state,
        trigger=Trigger.MATERIALS_UPLOADED,
        reason_code=case.reason_code,
        now=now,
        submitted=True,
    )
    return case


def submit_materials(
    session: Session,
    emit: Emit,
    *,
    account_id: str,
    account_kind: str,
    files: dict[str, str],
    cipher: Cipher,
    limits: ImageLimits,
    clock: Callable[[], datetime],
) -> dict:
    """Check every image, then store them encrypted with the case they go to in
    ``manual_review`` (``_case_for_materials``); all or nothing (one
    transaction, after every check)."""
    if account_kind not in ACCOUNT_KINDS:
        raise ce.InvalidInput("account_kind_invalid", "unknown account kind")
    cleaned = _checked_images(account_kind, files, limits)
    with session.begin():
        repo.lock_account(session, account_id)
        now = clock()
        case = _case_for_materials(session, account_id, now)
        for name, image in cleaned.items():
            repo.insert_material(
                session,
                case_id=case.id,
                field=name,
                now=now,
                **encrypted_columns(image, cipher, material_aad(case.id, name)),
            )
        emit(
            VerificationReviewRequested(
                account_id=case.account_id,
                account_kind=case.account_kind,
                case_id=case.id,
            )
        )
        updated = repo.get_case(session, case.id)
    return review_summary(updated)
