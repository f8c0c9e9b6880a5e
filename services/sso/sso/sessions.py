"""Portal sessions that end without the logout button, told to the business
systems they entered (Back-Channel Logout 1.0, through ``sso.backchannel``).

Two ways, both ending the registry's entries and enqueueing their logout tokens
in one transaction:

- a password change, reset or approved appeal (accounts' ``password_changed``
  event, through the outbox: at least once; ``processed_events`` makes it once)
  ends every entry of the account made before the change, except those of the
  session that changed the password (``kept_session_id``);
- expiry (idle or absolute, kept by accounts in Redis): each open entry has a
  ``check_at``. A timer in every copy (``SSO_SESSION_SWEEP_SECONDS``) claims the
  due sessions (``FOR UPDATE SKIP LOCKED``, ``check_at`` pushed by a lease so no
  other copy takes them), asks accounts ``get_session_lifetimes`` once for all of
  them, ends those that are gone and sets ``check_at`` to when the others
  expire. A new entry is due at once, so the first sweep learns its expiry. This
  also catches a session ended in any other way sso was not told of (its event
  lost, a crash): it is gone at its next check.

If accounts does not answer, the claimed sessions are due again after the
lease: nothing is lost, only later.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from contracts.accounts import PasswordChanged, SessionLifetimes
from nameko.timer import Timer
from sqlalchemy.orm import Session

from sso import backchannel
from sso.models import session_entries
from sso.settings import SsoSettings

REASONS = {
    "changed": "password_changed",
    "reset": "password_reset",
    "appeal": "password_appeal",
}
EXPIRED = "expired"
# sessions asked about in one sweep (one accounts call)
BATCH = 200
# a claimed session is due again after this, if its sweep did not finish
LEASE_SECONDS = 30
# a second after accounts' expiry, so the key is surely gone when asked again
MARGIN_SECONDS = 1

Trace = tuple[str | None, str | None]


def password_changed(
    session: Session, event: PasswordChanged, changed_at: datetime, trace: Trace
) -> int:
    """End the account's entries made before ``changed_at`` but the kept
    session's; how many logout tokens were enqueued."""
    which = sa.and_(
        session_entries.c.account_id == event.account_id,
        session_entries.c.entered_at <= changed_at,
    )
    if event.kept_session_id:
        which = sa.and_(which, session_entries.c.session_id != event.kept_session_id)
    reason = REASONS[event.reason]
    return backchannel.end_entries(session, which, (changed_at, reason), trace)


def claim_due(session: Session, now: datetime) -> list[str]:
    """The session ids whose check is due, claimed for ``LEASE_SECONDS``."""
    due = (
        session.execute(
            sa.select(session_entries.c.session_id)
            .where(
                session_entries.c.logged_out_at.is_(None),
                session_entries.c.check_at <= now,
            )
            .order_by(session_entries.c.check_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    ids = sorted(set(due))
    if ids:
        session.execute(
            session_entries.update()
            .where(
                session_entries.c.session_id.in_(ids),
                session_entries.c.logged_out_at.is_(None),
            )
            .values(check_at=now + timedelta(seconds=LEASE_SECONDS))
        )
    return ids


def apply_lifetimes(
    session: Session, lifetimes: SessionLifetimes, now: datetime, trace: Trace
) -> int:
    """End the sessions accounts no longer has; check the others when they
    would expire. How many logout tokens were enqueued."""
    notified = 0
    for item in lifetimes.items:
        if item.expires_in is None:
            notified += backchannel.end_session(
                session, item.session_id, now, trace, reason=EXPIRED
            )
            continue
        check_at = now + timedelta(seconds=item.expires_in + MARGIN_SECONDS)
        session.execute(
            session_entries.update()
            .where(
                session_entries.c.session_id == item.session_id,
                session_entries.c.logged_out_at.is_(None),
            )
            .values(check_at=check_at)
        )
    return notified


class SessionSweep(Timer):
    """A nameko timer whose interval is ``SSO_SESSION_SWEEP_SECONDS``."""

    def setup(self):
        settings = SsoSettings.from_config(self.container.config)
        self.interval = settings.session_sweep_seconds


sweep = SessionSweep.decorator
