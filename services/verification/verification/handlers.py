"""The verification use cases, as plain functions (no Nameko import).

Each takes its collaborators as arguments: the session, ``emit`` (writes an event to
the outbox in the session's transaction), the subject source, the authority, the
keyring. Transactions are opened here, because a use case knows where its
boundaries are (no outside call is ever made inside a transaction).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from contracts import errors as ce
from contracts import review
from contracts.errors import field_error
from contracts.verification import (
    MATERIAL_FIELDS,
    MAX_MATERIAL_BYTES,
    NO_CASE_STATUS,
    REASON_REVIEWER_APPROVED,
    REASON_REVIEWER_REJECTED,
)
from servicekit.images import ImageRejected, clean_image, review_view
from servicekit.workqueue import RetryLater, enqueue
from sqlalchemy.orm import Session

from verification import repository as repo
from verification.authority import (
    AuthorityUnavailable,
    IdentityAuthority,
    OrganizationQuery,
    PersonQuery,
)
from verification.flow import CaseStatus, Trigger, advance, sources_of
from verification.models import work_items

_log = logging.getLogger("verification.handlers")

Emit = Callable[[str, dict[str, Any]], str]
ACCOUNT_KINDS = ("person", "organization")
CHECK_CASE = "check_case"
PURGE_MATERIALS = "purge_materials"


class SubjectUnavailable(Exception):
    """The subject cannot be fetched now (accounts down or slow): retry later."""


class SubjectSource(Protocol):
    def get(self, account_id: str) -> dict:
        """``contracts.accounts.VerificationSubject`` of the account; raises
        :class:`SubjectUnavailable` when it cannot be fetched now."""


class Cipher(Protocol):
    """servicekit.crypto.PersonalDataCipher, as far as images need it."""

    active_key_id: str

    def encrypt_bytes(self, data: bytes, aad: bytes) -> bytes: ...

    def decrypt_bytes(self, blob: bytes, aad: bytes) -> bytes: ...


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int = MAX_MATERIAL_BYTES
    max_pixels: int = 25_000_000


# --- pipeline canary (operators' probe of the event path) ------------------------------


def record_pipeline_canary(
    session: Session, canary_id: str, correlation_id: str | None, now: datetime
) -> None:
    repo.insert_pipeline_canary(session, canary_id, correlation_id, now)


def get_pipeline_canary(session: Session, canary_id: str) -> dict:
    row = repo.get_pipeline_canary(session, canary_id)
    return {
        "canary_id": canary_id,
        "received": row is not None,
        "received_at": row.received_at.isoformat() if row else None,
        "correlation_id": row.correlation_id if row else None,
    }


# --- opening cases (from accounts' events) ---------------------------------------------


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
        current = CaseStatus(old.status)
        repo.transition(
            session,
            old.case_id,
            from_status=current,
            to_status=advance(current, Trigger.NEWER_CASE_OPENED),
            trigger=Trigger.NEWER_CASE_OPENED,
            reason_code=None,
            now=now,
        )
        if old.submitted_at is not None:
            # nobody will review these images now
            schedule_purge(session, old.case_id, 0.0, correlation_id, parent_call_id)
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
    enqueue(
        session,
        work_items,
        kind=CHECK_CASE,
        ref=case_id,
        payload={"case_id": case_id},
        correlation_id=correlation_id,
        parent_call_id=parent_call_id,
    )
    return case_id


# --- the automatic check (a durable work item) -----------------------------------------


def check_case(
    session: Session,
    emit: Emit,
    *,
    case_id: str,
    subjects: SubjectSource,
    authority: IdentityAuthority,
    clock: Callable[[], datetime],
) -> str:
    """Ask the authority about a pending case and decide it, once.

    Returns what happened (``passed``, ``failed``, ``skipped``). Raises
    :class:`RetryLater` while accounts or the authority cannot answer: the case
    stays ``pending`` and the work item is retried with back-off.

    Safe to run again after a crash and against a racing copy: the decision is a
    conditional transition from ``pending``, and the event is emitted in the same
    transaction only when that transition happened.
    """
    with session.begin():
        case = repo.get_case(session, case_id)
    if case is None or case.status != CaseStatus.PENDING:
        return "skipped"
    try:
        subject = subjects.get(case.account_id)
    except SubjectUnavailable as exc:
        _log.info("verification subject unavailable: %s", exc)  # a class name
        raise RetryLater("subject_unavailable") from None
    try:
        verdict = ask_authority(authority, case.account_kind, subject)
    except AuthorityUnavailable:
        raise RetryLater("authority_unavailable") from None
    trigger = (
        Trigger.AUTHORITY_MATCHED if verdict.matched else Trigger.AUTHORITY_MISMATCHED
    )
    target = advance(CaseStatus.PENDING, trigger)
    with session.begin():
        decided = repo.transition(
            session,
            case_id,
            from_status=CaseStatus.PENDING,
            to_status=target,
            trigger=trigger,
            reason_code=verdict.reason_code,
            now=clock(),
            decided=True,
        )
        if not decided:
            return "skipped"
        emit_outcome(emit, case, target, verdict.reason_code)
    return target.value


def ask_authority(authority: IdentityAuthority, account_kind: str, subject: dict):
    if account_kind == "organization":
        return authority.check_organization(
            OrganizationQuery(
                name=subject.get("name") or "",
                credit_code=subject.get("credit_code") or "",
                legal_representative_name=subject.get("legal_representative_name")
                or "",
            )
        )
    return authority.check_person(
        PersonQuery(
            name=subject.get("name") or "",
            doc_type=subject.get("doc_type") or "",
            doc_number=subject.get("doc_number") or "",
        )
    )


def emit_outcome(emit: Emit, case, status: CaseStatus, reason_code: str) -> None:
    event = (
        "verification_passed" if status == CaseStatus.PASSED else "verification_failed"
    )
    emit(
        event,
        {
            "account_id": case.account_id,
            "account_kind": case.account_kind,
            "case_id": case.case_id,
            "reason_code": reason_code,
            "status": status.value,
            # accounts' contract: a final failure is a reviewer's rejection
            "final": status == CaseStatus.REJECTED,
        },
    )


# --- what the user sees -----------------------------------------------------------------


def get_verification(session: Session, account_id: str) -> dict:
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
        "status": case.status,
        "reason_code": case.reason_code,
        # the reviewer's words are shown on a rejection only
        "reason": case.reason if case.status == CaseStatus.REJECTED else None,
        "case_id": case.case_id,
        "can_upload_materials": case.status in sources_of(Trigger.MATERIALS_UPLOADED),
        "history": [
            {
                "case_id": h.case_id,
                "status": h.to_status,
                "trigger": h.trigger,
                "reason_code": h.reason_code,
                "at": h.at.isoformat(),
            }
            for h in history
        ],
    }


# --- materials --------------------------------------------------------------------------


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
    """Check every image, then store them encrypted and move the failed case to
    ``manual_review``; all or nothing (one transaction, after every check)."""
    if account_kind not in ACCOUNT_KINDS:
        raise ce.InvalidInput("account_kind_invalid", "unknown account kind")
    expected = MATERIAL_FIELDS[account_kind]
    if not isinstance(files, dict):
        raise ce.InvalidInput("file_missing", "no files were sent")
    errors = [
        field_error(
            name, "unexpected_file", f"{name} is not a material of this account"
        )
        for name in files
        if name not in expected
    ]
    errors += [
        field_error(name, "file_missing", f"{name} is required")
        for name in expected
        if name not in files
    ]
    cleaned = {}
    for name in expected:
        if name not in files:
            continue
        try:
            raw = base64.b64decode(files[name], validate=True)
        except (binascii.Error, ValueError, TypeError):
            errors.append(field_error(name, "image_corrupt", "the file is not base64"))
            continue
        try:
            cleaned[name] = clean_image(raw, limits.max_bytes, limits.max_pixels)
        except ImageRejected as rejected:
            errors.append(field_error(name, rejected.code, rejected.message))
    if errors:
        raise ce.InvalidInput(
            errors[0]["code"], errors[0]["message"], {"errors": errors}
        )

    with session.begin():
        repo.lock_account(session, account_id)
        case = repo.latest_case(session, account_id, for_update=True)
        allowed = sources_of(Trigger.MATERIALS_UPLOADED)
        if case is None or case.status not in allowed:
            raise ce.Conflict(
                "materials_not_expected",
                "materials are accepted only after an automatic check failed",
                {"case_status": case.status if case else NO_CASE_STATUS},
            )
        now = clock()
        for name, image in cleaned.items():
            repo.insert_material(
                session,
                case_id=case.case_id,
                field=name,
                media_type=image.media_type,
                width=image.width,
                height=image.height,
                size=len(image.data),
                key_id=cipher.active_key_id,
                ciphertext=cipher.encrypt_bytes(
                    image.data, material_aad(case.case_id, name)
                ),
                now=now,
            )
        current = CaseStatus(case.status)
        repo.transition(
            session,
            case.case_id,
            from_status=current,
            to_status=advance(current, Trigger.MATERIALS_UPLOADED),
            trigger=Trigger.MATERIALS_UPLOADED,
            reason_code=case.reason_code,
            now=now,
            submitted=True,
        )
        emit(
            "verification_review_requested",
            {
                "account_id": case.account_id,
                "account_kind": case.account_kind,
                "case_id": case.case_id,
            },
        )
        updated = repo.get_case(session, case.case_id)
    return review_summary(updated)


def material_aad(case_id: str, field: str) -> bytes:
    return f"verification_materials:{case_id}:{field}".encode()


def schedule_purge(
    session: Session,
    case_id: str,
    delay: float,
    correlation_id: str | None,
    parent_call_id: str | None = None,
) -> None:
    """Images are kept only as long as the review needs them (architecture.md):
    a durable item deletes them ``delay`` seconds after the case closed."""
    enqueue(
        session,
        work_items,
        kind=PURGE_MATERIALS,
        ref=case_id,
        payload={"case_id": case_id},
        correlation_id=correlation_id,
        parent_call_id=parent_call_id,
        delay=delay,
    )


def purge_materials(session: Session, *, case_id: str) -> int:
    """Delete a closed case's images; returns how many. Idempotent."""
    with session.begin():
        return repo.delete_materials(session, case_id)


# --- review -----------------------------------------------------------------------------

REVIEW_STATUSES = (
    CaseStatus.MANUAL_REVIEW,
    CaseStatus.PASSED,
    CaseStatus.REJECTED,
    CaseStatus.SUPERSEDED,
)


def review_summary(case) -> dict:
    return {
        "case_id": case.case_id,
        "kind": "verification",
        "status": case.status,
        "account_id": case.account_id,
        "account_kind": case.account_kind,
        "submitted_at": case.submitted_at.isoformat() if case.submitted_at else None,
        "decided_at": case.decided_at.isoformat() if case.decided_at else None,
    }


def list_review_cases(
    session: Session, status: str | None, limit: int, offset: int
) -> dict:
    status = status or CaseStatus.MANUAL_REVIEW.value
    review.check_page(status, [s.value for s in REVIEW_STATUSES], limit, offset)
    with session.begin():
        rows, total = repo.review_cases(session, status, limit, offset)
    return {"items": [review_summary(r) for r in rows], "total": total}


def get_review_case(session: Session, case_id: str, cipher: Cipher) -> dict:
    if not repo.is_case_id(case_id):
        raise ce.NotFound("case_not_found", "no such review case")
    with session.begin():
        case = repo.get_case(session, case_id)
        if case is None or case.submitted_at is None:
            raise ce.NotFound("case_not_found", "no such review case")
        stored = repo.case_materials(session, case_id)
        decisions = repo.case_decisions(session, case_id)
    files = [
        review_view(
            m.field,
            m.media_type,
            m.width,
            m.height,
            cipher.decrypt_bytes(m.ciphertext, material_aad(case_id, m.field)),
        )
        for m in stored
    ]
    return {
        **review_summary(case),
        "reason_code": case.reason_code,
        "files": files,
        "decisions": [review.decision_record(d) for d in decisions],
    }


def decide_review_case(
    session: Session,
    emit: Emit,
    *,
    case_id: str,
    decision: str,
    reason: str,
    reviewer_id: str,
    correlation_id: str | None,
    clock: Callable[[], datetime],
    retention_seconds: float = 30 * 86400,
    parent_call_id: str | None = None,
) -> dict:
    """Approve or reject a case in review; the audit row, the state change and the
    outcome event are one transaction. A second decision finds the case closed.
    The images are deleted ``retention_seconds`` later."""
    reason = review.checked_decision(decision, reason, reviewer_id)
    trigger = (
        Trigger.REVIEWER_APPROVED
        if decision == "approve"
        else Trigger.REVIEWER_REJECTED
    )
    reason_code = (
        REASON_REVIEWER_APPROVED if decision == "approve" else REASON_REVIEWER_REJECTED
    )
    if not repo.is_case_id(case_id):
        raise ce.NotFound("case_not_found", "no such review case")
    with session.begin():
        case = repo.get_case(session, case_id, for_update=True)
        if case is None or case.submitted_at is None:
            raise ce.NotFound("case_not_found", "no such review case")
        if case.status not in sources_of(trigger):
            raise ce.Conflict(
                "case_closed",
                "the case is not waiting for a review",
                {"case_status": case.status},
            )
        now = clock()
        current = CaseStatus(case.status)
        target = advance(current, trigger)
        repo.transition(
            session,
            case_id,
            from_status=current,
            to_status=target,
            trigger=trigger,
            reason_code=reason_code,
            now=now,
            reason=reason,
            decided=True,
        )
        repo.insert_decision(
            session,
            case_id=case_id,
            reviewer_id=reviewer_id,
            decision=decision,
            reason=reason,
            from_status=current,
            to_status=target,
            correlation_id=correlation_id,
            now=now,
        )
        emit_outcome(emit, case, target, reason_code)
        schedule_purge(
            session, case_id, retention_seconds, correlation_id, parent_call_id
        )
        updated = repo.get_case(session, case_id)
        decisions = repo.case_decisions(session, case_id)
    return {
        **review_summary(updated),
        "reason_code": updated.reason_code,
        "decisions": [review.decision_record(d) for d in decisions],
    }
