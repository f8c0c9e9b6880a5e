"""The life of a verification case: its states and what moves it
(``servicekit.flows``).

The diagram beside this module (``case_states.md``) is the same table drawn; a
contract test compares the two, so change both together.
"""

from __future__ import annotations

from enum import StrEnum

from servicekit.flows import Flow


class CaseState(StrEnum):
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


# The trigger of a case's first history entry (no state before it).
CASE_OPENED = "case_opened"

S, T = CaseState, Trigger

CASE = Flow(
    states=CaseState,
    triggers=Trigger,
    transitions={
        (S.PENDING, T.AUTHORITY_MATCHED): S.PASSED,
        (S.PENDING, T.AUTHORITY_MISMATCHED): S.FAILED,
        (S.FAILED, T.MATERIALS_UPLOADED): S.MANUAL_REVIEW,
        (S.MANUAL_REVIEW, T.REVIEWER_APPROVED): S.PASSED,
        (S.MANUAL_REVIEW, T.REVIEWER_REJECTED): S.REJECTED,
        (S.PENDING, T.NEWER_CASE_OPENED): S.SUPERSEDED,
        (S.FAILED, T.NEWER_CASE_OPENED): S.SUPERSEDED,
        (S.MANUAL_REVIEW, T.NEWER_CASE_OPENED): S.SUPERSEDED,
    },
    initial=S.PENDING,
    final=frozenset({S.PASSED, S.REJECTED, S.SUPERSEDED}),
    # materials uploaded again after a rejection open a new case, in review at once
    also_initial=frozenset({S.MANUAL_REVIEW}),
)

# Cases a newer case replaces (still open to a decision or to materials).
OPEN = CASE.sources_of(T.NEWER_CASE_OPENED)
# The newest case's states in which the user may upload materials: a failed case
# moves to review; after a rejection the upload opens a new case in review.
REOPENED_BY_MATERIALS = frozenset({S.REJECTED})
ACCEPTS_MATERIALS = CASE.sources_of(T.MATERIALS_UPLOADED) | REOPENED_BY_MATERIALS
