"""The life of a verification case: its states, what moves it, and ``advance``.

The diagram beside this module (``case_states.md``) is the same table drawn; a
contract test compares the two, so change both together.
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    PENDING = "pending"  # waiting for the identity authority
    PASSED = "passed"
    FAILED = "failed"  # no match; the user may upload materials
    MANUAL_REVIEW = "manual_review"  # materials uploaded, waiting for a reviewer
    REJECTED = "rejected"  # a reviewer rejected the materials
    SUPERSEDED = "superseded"  # a newer case (changed profile) replaced this one


class Trigger(StrEnum):
    AUTHORITY_MATCHED = "authority_matched"
    AUTHORITY_MISMATCHED = "authority_mismatched"
    MATERIALS_UPLOADED = "materials_uploaded"
    REVIEWER_APPROVED = "reviewer_approved"
    REVIEWER_REJECTED = "reviewer_rejected"
    NEWER_CASE_OPENED = "newer_case_opened"


S, T = CaseStatus, Trigger

TRANSITIONS: dict[tuple[CaseStatus, Trigger], CaseStatus] = {
    (S.PENDING, T.AUTHORITY_MATCHED): S.PASSED,
    (S.PENDING, T.AUTHORITY_MISMATCHED): S.FAILED,
    (S.FAILED, T.MATERIALS_UPLOADED): S.MANUAL_REVIEW,
    (S.MANUAL_REVIEW, T.REVIEWER_APPROVED): S.PASSED,
    (S.MANUAL_REVIEW, T.REVIEWER_REJECTED): S.REJECTED,
    (S.PENDING, T.NEWER_CASE_OPENED): S.SUPERSEDED,
    (S.FAILED, T.NEWER_CASE_OPENED): S.SUPERSEDED,
    (S.MANUAL_REVIEW, T.NEWER_CASE_OPENED): S.SUPERSEDED,
}

INITIAL = S.PENDING
FINAL = frozenset({S.PASSED, S.REJECTED, S.SUPERSEDED})
# Cases a newer case replaces (still open to a decision or to materials).
OPEN = frozenset(
    source for source, trigger in TRANSITIONS if trigger == T.NEWER_CASE_OPENED
)


class TransitionNotAllowed(Exception):
    def __init__(self, status: CaseStatus, trigger: Trigger):
        super().__init__(f"{trigger} is not allowed in {status}")
        self.status = status
        self.trigger = trigger


def advance(status: CaseStatus | str, trigger: Trigger | str) -> CaseStatus:
    """The state ``trigger`` moves a case in ``status`` to; raises
    :class:`TransitionNotAllowed` when the table has no such move."""
    key = (CaseStatus(status), Trigger(trigger))
    if key not in TRANSITIONS:
        raise TransitionNotAllowed(*key)
    return TRANSITIONS[key]


def sources_of(trigger: Trigger) -> frozenset[CaseStatus]:
    """The states in which ``trigger`` is allowed."""
    return frozenset(source for source, t in TRANSITIONS if t == trigger)
