"""What every step of a verification case shares: its collaborators' interfaces,
its work kinds, how its images are bound to it, its outcome event and the summary a
reviewer sees.

The steps themselves are plain functions (no Nameko import) in ``case_intake``
(opening cases, the user's view, materials), ``case_work`` (the durable work: the
automatic check, purging images) and ``case_review`` (the review queue). Each takes
its collaborators as arguments: the session, ``emit`` (writes an event to the outbox
in the session's transaction), the subject source, the claim source (what a reviewer
compares the images with), the authority, the keyring.
Transactions are opened there, because a use case knows where its boundaries are (no
outside call is ever made inside a transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from contracts import review
from contracts.accounts import ClaimedIdentity, VerificationSubject
from contracts.events import Event
from contracts.verification import (
    MAX_MATERIAL_BYTES,
    VerificationFailed,
    VerificationPassed,
)
from servicekit.decode_pool import DEFAULT_SIZE as DEFAULT_DECODE_THREADS
from servicekit.workqueue import enqueue
from sqlalchemy.orm import Session

from verification.flow import CaseState
from verification.models import work_items

Emit = Callable[[Event], str]
ACCOUNT_KINDS = ("person", "organization")
# the kinds of durable work items
CHECK_CASE = "check_case"
PURGE_MATERIALS = "purge_materials"


class SubjectUnavailable(Exception):
    """The subject cannot be fetched now (accounts down or slow): retry later."""


class SubjectSource(Protocol):
    def get(self, account_id: str) -> VerificationSubject:
        """The account's subject (accounts' reply model); raises
        :class:`SubjectUnavailable` when it cannot be fetched now."""


class ClaimSource(Protocol):
    def get(self, account_id: str, reviewer_id: str) -> ClaimedIdentity:
        """What the account claims to be, for this reviewer (accounts' reply
        model); raises accounts' errors (``Forbidden``, ``NotFound``) and
        ``Unavailable`` when accounts does not answer."""


class Cipher(Protocol):
    """servicekit.crypto.PersonalDataCipher, as far as images need it."""

    active_key_id: str

    def encrypt_bytes(self, data: bytes, aad: bytes) -> bytes: ...

    def decrypt_bytes(self, blob: bytes, aad: bytes) -> bytes: ...


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int = MAX_MATERIAL_BYTES
    max_pixels: int = 25_000_000
    decode_threads: int = DEFAULT_DECODE_THREADS  # IMAGE_DECODE_THREADS


def material_aad(case_id: str, field: str) -> bytes:
    """Binds an encrypted image to its case and field (a copied blob will not
    decrypt anywhere else)."""
    return f"verification_materials:{case_id}:{field}".encode()


def schedule(
    session: Session,
    kind: str,
    case_id: str,
    correlation_id: str | None,
    parent_call_id: str | None = None,
    delay: float = 0.0,
) -> None:
    """Queue the durable work item ``kind`` (``CHECK_CASE``, ``PURGE_MATERIALS``)
    for the case, in the caller's transaction."""
    enqueue(
        session,
        work_items,
        kind=kind,
        ref=case_id,
        payload={"case_id": case_id},
        correlation_id=correlation_id,
        parent_call_id=parent_call_id,
        delay=delay,
    )


def schedule_purge(
    session: Session,
    case_id: str,
    delay: float,
    correlation_id: str | None,
    parent_call_id: str | None = None,
) -> None:
    """Images are kept only as long as the review needs them (architecture.md):
    a durable item deletes them ``delay`` seconds after the case closed."""
    schedule(session, PURGE_MATERIALS, case_id, correlation_id, parent_call_id, delay)


def emit_outcome(emit: Emit, case, state: CaseState, reason_code: str) -> None:
    """``verification_passed`` or ``verification_failed`` for a decided case (the
    payload's ``status`` is the state the case reached)."""
    event = VerificationPassed if state == CaseState.PASSED else VerificationFailed
    emit(
        event(
            account_id=case.account_id,
            account_kind=case.account_kind,
            case_id=case.id,
            reason_code=reason_code,
            status=state.value,
            # accounts' contract: a final failure is a reviewer's rejection
            final=state == CaseState.REJECTED,
        )
    )


def review_summary(case) -> dict:
    """A case as the review queue lists it (``contracts.review``)."""
    return review.case_summary(
        case_id=case.id,
        kind="verification",
        state=case.state,
        account_id=case.account_id,
        account_kind=case.account_kind,
        submitted_at=case.submitted_at,
        decided_at=case.decided_at,
    )
