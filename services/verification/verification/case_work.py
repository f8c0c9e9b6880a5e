"""The durable work of a verification case: the automatic check at the identity
authority, and deleting images nobody needs any more (plain functions, run by
``servicekit.workqueue`` items)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from contracts.accounts import VerificationSubject
from servicekit.workqueue import RetryLater
from sqlalchemy.orm import Session

from verification import repository as repo
from verification.authority import (
    AuthorityUnavailable,
    IdentityAuthority,
    OrganizationQuery,
    PersonQuery,
    Verdict,
)
from verification.cases import Emit, SubjectSource, SubjectUnavailable, emit_outcome
from verification.flow import CaseState, Trigger

_log = logging.getLogger("verification.case_work")


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
    if case is None or case.state != CaseState.PENDING:
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
    with session.begin():
        target = repo.transition(
            session,
            case_id,
            from_state=CaseState.PENDING,
            trigger=trigger,
            reason_code=verdict.reason_code,
            now=clock(),
            decided=True,
        )
        if target is None:
            return "skipped"
        emit_outcome(emit, case, target, verdict.reason_code)
    return target.value


def ask_authority(
    authority: IdentityAuthority, account_kind: str, subject: VerificationSubject
) -> Verdict:
    if account_kind == "organization":
        return authority.check_organization(
            OrganizationQuery(
                name=subject.name or "",
                credit_code=subject.credit_code or "",
                legal_representative_name=subject.legal_representative_name or "",
            )
        )
    return authority.check_person(
        PersonQuery(
            name=subject.name or "",
            doc_type=subject.doc_type or "",
            doc_number=subject.doc_number or "",
        )
    )


def purge_materials(session: Session, *, case_id: str) -> int:
    """Delete a closed case's images; returns how many. Idempotent."""
    with session.begin():
        return repo.delete_materials(session, case_id)
