"""The states of recovery's flows, what moves them, and a pure ``advance``.

Two machines live here: the password reset by login name (``ResetState``) and the
appeal case (``AppealStatus``). The diagrams beside this module
(``reset_states.md``, ``appeal_states.md``) are the same tables drawn; a contract
test compares them, so change both together.
"""

from __future__ import annotations

from enum import StrEnum


class TransitionNotAllowed(Exception):
    def __init__(self, state: str, trigger: str):
        super().__init__(f"{trigger} is not allowed in {state}")
        self.state = state
        self.trigger = trigger


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
    PASSWORD_SET = "password_set"
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"


R, RT = ResetState, ResetTrigger

RESET_TRANSITIONS: dict[tuple[ResetState, ResetTrigger], ResetState] = {
    (R.STARTED, RT.PHONE_MATCHED): R.CODE_SENT,
    (R.CODE_SENT, RT.CODE_ACCEPTED): R.CODE_VERIFIED,
    (R.CODE_VERIFIED, RT.PASSWORD_SET): R.COMPLETED,
    (R.STARTED, RT.ATTEMPTS_EXHAUSTED): R.FAILED,
    (R.CODE_SENT, RT.ATTEMPTS_EXHAUSTED): R.FAILED,
    (R.CODE_VERIFIED, RT.ATTEMPTS_EXHAUSTED): R.FAILED,
}
RESET_INITIAL = R.STARTED
RESET_FINAL = frozenset({R.COMPLETED, R.FAILED})


def advance_reset(state: ResetState | str, trigger: ResetTrigger | str) -> ResetState:
    """The state ``trigger`` moves a reset in ``state`` to; raises
    :class:`TransitionNotAllowed` when the table has no such move."""
    key = (ResetState(state), ResetTrigger(trigger))
    if key not in RESET_TRANSITIONS:
        raise TransitionNotAllowed(*key)
    return RESET_TRANSITIONS[key]


# --- the appeal case ------------------------------------------------------------------


class AppealStatus(StrEnum):
    SUBMITTED = "submitted"  # waiting for a reviewer
    APPROVED = "approved"  # a reviewer approved; the account is being recovered
    RECOVERED = "recovered"  # temporary password set and its SMS queued
    REJECTED = "rejected"  # a reviewer rejected; the reason was sent by SMS


class AppealTrigger(StrEnum):
    REVIEWER_APPROVED = "reviewer_approved"
    PASSWORD_SENT = "password_sent"
    REVIEWER_REJECTED = "reviewer_rejected"


A, AT = AppealStatus, AppealTrigger

APPEAL_TRANSITIONS: dict[tuple[AppealStatus, AppealTrigger], AppealStatus] = {
    (A.SUBMITTED, AT.REVIEWER_APPROVED): A.APPROVED,
    (A.SUBMITTED, AT.REVIEWER_REJECTED): A.REJECTED,
    (A.APPROVED, AT.PASSWORD_SENT): A.RECOVERED,
}
APPEAL_INITIAL = A.SUBMITTED
APPEAL_FINAL = frozenset({A.RECOVERED, A.REJECTED})


def advance_appeal(
    status: AppealStatus | str, trigger: AppealTrigger | str
) -> AppealStatus:
    key = (AppealStatus(status), AppealTrigger(trigger))
    if key not in APPEAL_TRANSITIONS:
        raise TransitionNotAllowed(*key)
    return APPEAL_TRANSITIONS[key]
