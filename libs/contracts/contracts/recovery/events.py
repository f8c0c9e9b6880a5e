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


class PasswordResetCompleted(Event):
    """A reset by login name set a new password; every session of the account
    ended."""

    source: ClassVar[str] = "recovery"
    event_type: ClassVar[str] = "password_reset_completed"
    subscribers: ClassVar[str] = _AUDIT

    reset_id: str
    account_id: str


class AppealSubmitted(Event):
    """An appeal waits for a reviewer."""

    source: ClassVar[str] = "recovery"
    event_type: ClassVar[str] = "appeal_submitted"
    subscribers: ClassVar[str] = (
        "the review team's queue-length alert (metrics pipeline); no service of "
        "the platform acts on it"
    )

    appeal_id: str
    kind: AppealKind


class AppealApproved(Event):
    """A reviewer approved an appeal; recovery is setting the temporary password."""

    source: ClassVar[str] = "recovery"
    event_type: ClassVar[str] = "appeal_approved"
    subscribers: ClassVar[str] = _AUDIT

    appeal_id: str
    kind: AppealKind
    account_id: str


class AppealRejected(Event):
    """A reviewer rejected an appeal; recovery sends the reason by SMS."""

    source: ClassVar[str] = "recovery"
    event_type: ClassVar[str] = "appeal_rejected"
    subscribers: ClassVar[str] = _AUDIT

    appeal_id: str
    kind: AppealKind


EVENTS = (PasswordResetCompleted, AppealSubmitted, AppealApproved, AppealRejected)
