"""The states of recovery's flows and what moves them (``servicekit.flows``).

Two machines live here: the password reset by login name (``RESET``) and the
appeal (``APPEAL``). The diagrams beside this module (``reset_states.md``,
``appeal_states.md``) are the same tables drawn; a contract test compares them, so
change both together.
"""

from __future__ import annotations

from enum import StrEnum

from servicekit.flows import Flow

# --- the reset by login name --------------------------------------------------------


class ResetState(StrEnum):
    STARTED = "started"  # login name + captcha accepted; waiting for the phone
    CODE_SENT = "code_sent"  # the phone matched; an SMS code is on its way
    # otp accepted the code (spent it); the password is being set. A failure at
    # accounts leaves the flow here, and the same code finishes it on a retry.
    CODE_VERIFIED = "code_verified"
    COMPLETED = "completed"  # the new password is set
    FAILED = "failed"  # too many wrong phones or codes: the flow is dead


class ResetTrigger(StrEnum):
    PHONE_MATCHED = "phone_matched"
    CODE_ACCEPTED = "code_accepted"
    PASSWORD_SET = "password_set"  # noqa: S105 - a trigger's name, no password
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"


R, RT = ResetState, ResetTrigger

RESET = Flow(
    states=ResetState,
    triggers=ResetTrigger,
    transitions={
        (R.STARTED, RT.PHONE_MATCHED): R.CODE_SENT,
        (R.CODE_SENT, RT.CODE_ACCEPTED): R.CODE_VERIFIED,
        (R.CODE_VERIFIED, RT.PASSWORD_SET): R.COMPLETED,
        (R.STARTED, RT.ATTEMPTS_EXHAUSTED): R.FAILED,
        (R.CODE_SENT, RT.ATTEMPTS_EXHAUSTED): R.FAILED,
        (R.CODE_VERIFIED, RT.ATTEMPTS_EXHAUSTED): R.FAILED,
    },
    initial=R.STARTED,
    final=frozenset({R.COMPLETED, R.FAILED}),
)


# --- the appeal -----------------------------------------------------------------------


class AppealState(StrEnum):
    SUBMITTED = "submitted"  # waiting for a reviewer
    APPROVED = "approved"  # a reviewer approved; the account is being recovered
    RECOVERED = "recovered"  # temporary password set and its SMS queued
    REJECTED = "rejected"  # a reviewer rejected; the reason was sent by SMS


class AppealTrigger(StrEnum):
    REVIEWER_APPROVED = "reviewer_approved"
    PASSWORD_SENT = "password_sent"  # noqa: S105 - a trigger's name, no password
    REVIEWER_REJECTED = "reviewer_rejected"


# The trigger of an appeal's first history entry (no state before it).
APPEAL_SUBMITTED = "appeal_submitted"

A, AT = AppealState, AppealTrigger

APPEAL = Flow(
    states=AppealState,
    triggers=AppealTrigger,
    transitions={
        (A.SUBMITTED, AT.REVIEWER_APPROVED): A.APPROVED,
        (A.SUBMITTED, AT.REVIEWER_REJECTED): A.REJECTED,
        (A.APPROVED, AT.PASSWORD_SENT): A.RECOVERED,
    },
    initial=A.SUBMITTED,
    final=frozenset({A.RECOVERED, A.REJECTED}),
)
