"""The events of the ``recovery`` service (source ``recovery``; ids only, never
personal data). No service of the platform consumes them today: each names the
outside reader it is kept for."""

from __future__ import annotations

from typing import ClassVar, Literal

from contracts.events import Event

AppealKind = Literal["person", "organization"]
_AUDIT = (
    "the security audit trail and the support dashboards (metrics pipeline); no "
    "service of the platform acts on it"
)


class RecoveryEvent(Event):
    """Every event recovery emits."""

    source: ClassVar[str] = "recovery"


class AppealEvent(RecoveryEvent):
    """An appeal moved: every such event names the appeal and its kind."""

    appeal_id: str
    kind: AppealKind


class PasswordResetCompleted(RecoveryEvent):
    """A reset by login name set a new password; every session of the account
    ended."""

    event_type: ClassVar[str] = "password_reset_completed"
    subscribers: ClassVar[str] = _AUDIT

    reset_id: str
    account_id: str


class AppealSubmitted(AppealEvent):
    """An appeal waits for a reviewer."""

    event_type: ClassVar[str] = "appeal_submitted"
    subscribers: ClassVar[str] = (
        "the review team's queue-length alert (metrics pipeline); no service of "
        "the platform acts on it"
    )


class AppealApproved(AppealEvent):
    """A reviewer approved an appeal; recovery is setting the temporary password."""

    event_type: ClassVar[str] = "appeal_approved"
    subscribers: ClassVar[str] = _AUDIT

    account_id: str


class AppealRejected(AppealEvent):
    """A reviewer rejected an appeal; recovery sends the reason by SMS."""

    event_type: ClassVar[str] = "appeal_rejected"
    subscribers: ClassVar[str] = _AUDIT


EVENTS = (PasswordResetCompleted, AppealSubmitted, AppealApproved, AppealRejected)
