"""The SSO session registry and Back-Channel Logout 1.0.

Every token issue records that the portal session entered the business system
(``session_entries``, with the ``sid`` that business system knows it by). When
the portal session ends (the portal's own logout, RP-initiated ``/oidc/logout``,
a password change, reset or appeal that ends it, its expiry: ``sso.sessions``),
each entered business system with a
``backchannel_logout_uri`` gets a logout token, as a durable work item
(``servicekit.workqueue``) enqueued in the same transaction that marks the
session logged out: a business system that is down gets it when it is back (the
queue retries with back-off and never drops an item), and a second logout of the
same session notifies nobody twice.

The logout token (§2.4) is a JWT, ``typ`` ``logout+jwt``, signed at delivery with
the client's ID token algorithm: ``iss``, ``aud`` (the client), ``iat``, ``exp``,
``jti``, ``events``, ``sub`` (the account, as in the ID token) and ``sid``
(as in the ID token); never a ``nonce``. It is POSTed as ``logout_token`` in a
form (§2.5); any 2xx is delivered, anything else (or no answer) is tried again
later.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import requests
import sqlalchemy as sa
from servicekit.crypto import PersonalDataCipher
from servicekit.workqueue import RetryLater, enqueue
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from sso import cas_logout, clients, keys
from sso.models import session_entries, work_items

DELIVER = "backchannel_logout"
LOGOUT_TOKEN_TYP = "logout+jwt"  # noqa: S105 - a media type (§2.4)
EVENT = "http://schemas.openid.net/event/backchannel-logout"
# a logout token is for immediate use: two minutes covers clock skew
LOGOUT_TOKEN_TTL = 120


def record_entry(
    session: Session, session_id: str, client_id: str, account_id: str, now: datetime
) -> str:
    """The portal session ``session_id`` entered ``client_id`` (idempotent); its
    ``sid`` for that business system. A new entry is checked by the next sweep
    (``sso.sessions``), which learns when the session expires."""
    session.execute(
        insert(session_entries)
        .values(
            session_id=session_id,
            client_id=client_id,
            account_id=account_id,
            entered_at=now,
            sid=f"sid_{secrets.token_urlsafe(24)}",
            check_at=now,
        )
        .on_conflict_do_nothing(index_elements=["session_id", "client_id"])
    )
    return session.scalar(
        sa.select(session_entries.c.sid).where(
            session_entries.c.session_id == session_id,
            session_entries.c.client_id == client_id,
        )
    )


def session_of_sid(session: Session, sid: str) -> str | None:
    """The portal session a business system knows as ``sid``, or None."""
    return session.scalar(
        sa.select(session_entries.c.session_id).where(session_entries.c.sid == sid)
    )


def end_session(
    session: Session,
    session_id: str,
    now: datetime,
    trace: tuple[str | None, str | None],
    reason: str = "logout",
) -> int:
    """Mark the session's entries logged out and enqueue one delivery per business
    system that has a back-channel logout URI; returns how many."""
    return end_entries(
        session, session_entries.c.session_id == session_id, (now, reason), trace
    )


def end_entries(
    session: Session,
    which: sa.ColumnElement[bool],
    when: tuple[datetime, str],
    trace: tuple[str | None, str | None],
) -> int:
    """End the open entries ``which`` selects (``when``: now and the reason),
    each once, and enqueue their logout tokens in this transaction."""
    now, reason = when
    ended = session.execute(
        session_entries.update()
        .where(which, session_entries.c.logged_out_at.is_(None))
        .values(logged_out_at=now, end_reason=reason, check_at=None)
        .returning(
            session_entries.c.session_id,
            session_entries.c.client_id,
            session_entries.c.account_id,
            session_entries.c.sid,
        )
    ).all()
    correlation_id, parent_call_id = trace
    notified = 0
    for entry in ended:
        row = clients.find(session, entry.client_id)
        if row is None or not row.backchannel_logout_uri:
            continue
        enqueue(
            session,
            work_items,
            kind=DELIVER,
            ref=f"{entry.client_id}:{entry.session_id}"[:200],
            payload={
                "client_id": entry.client_id,
                "account_id": entry.account_id,
                "sid": entry.sid,
            },
            correlation_id=correlation_id,
            parent_call_id=parent_call_id,
        )
        notified += 1
    # CAS services that validated a ticket of these sessions: single logout
    ended_sessions = sorted({entry.session_id for entry in ended})
    return notified + cas_logout.end_sessions(session, ended_sessions, now, trace)


def logout_token(
    session: Session,
    cipher: PersonalDataCipher,
    issuer: str,
    now: datetime,
    audience: tuple[str, str, str, str | None],
) -> str:
    """A signed logout token for (client id, its algorithm, subject, sid)."""
    client_id, alg, subject, sid = audience
    key = keys.active_key(session, cipher, alg, now)
    issued_at = int(now.timestamp())
    claims = {
        "iss": issuer,
        "aud": client_id,
        "iat": issued_at,
        "exp": issued_at + LOGOUT_TOKEN_TTL,
        "jti": f"lo_{secrets.token_hex(16)}",
        "events": {EVENT: {}},
        "sub": subject,
    }
    if sid:
        claims["sid"] = sid
    return keys.sign(key, claims, typ=LOGOUT_TOKEN_TYP)


def deliver(
    session: Session,
    cipher: PersonalDataCipher,
    item: dict,
    context: tuple[str, float, datetime],
) -> None:
    """POST one logout token; raises ``RetryLater`` until the business system
    accepts it. A client since removed or without a URI needs nothing."""
    issuer, timeout, now = context
    payload = item["payload"]
    with session.begin():
        row = clients.find(session, payload["client_id"])
        if row is None or not row.backchannel_logout_uri:
            return
        uri = row.backchannel_logout_uri
        token = logout_token(
            session,
            cipher,
            issuer,
            now,
            (
                row.client_id,
                row.id_token_alg,
                payload["account_id"],
                payload.get("sid"),  # an item enqueued before sids had none
            ),
        )
    try:
        answer = requests.post(
            uri,
            data={"logout_token": token},
            headers={"Cache-Control": "no-store"},
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise RetryLater("business_system_unreachable") from exc
    if not 200 <= answer.status_code < 300:
        raise RetryLater(f"business_system_answered_{answer.status_code}")
