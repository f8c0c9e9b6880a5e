"""CAS single logout (CAS 3.0 Appendix C, back-channel): when a portal session
ends (its logout, a password change, reset or appeal, expiry: wherever
``sso.backchannel.end_entries`` ends its registry entries), each service that
validated one of its tickets gets a POST to its service URL with the form field
``logoutRequest``, a SAML 2 ``LogoutRequest`` whose ``SessionIndex`` is the
ticket it validated.

The requests are durable work items enqueued in the same transaction as the
session's OIDC back-channel logouts. CAS single logout is best effort in the
protocol: a service that does not accept it (any answer but 2xx, or none) is
tried again with the queue's back-off, ``ATTEMPTS`` times in all.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from xml.sax.saxutils import escape

import requests
from servicekit.workqueue import RetryLater, enqueue
from sqlalchemy.orm import Session

from sso.models import cas_tickets, work_items

DELIVER = "cas_single_logout"
ATTEMPTS = 5

_log = logging.getLogger("sso.cas_logout")


def end_sessions(
    session: Session,
    session_ids: list[str],
    now: datetime,
    trace: tuple[str | None, str | None],
) -> int:
    """Enqueue one logout request per ticket of the ended portal sessions that a
    service validated (once: a second end of a session sends nothing)."""
    if not session_ids:
        return 0
    t = cas_tickets
    ended = session.execute(
        t.update()
        .where(
            t.c.session_id.in_(session_ids),
            t.c.session_index.is_not(None),
            t.c.logged_out_at.is_(None),
        )
        .values(logged_out_at=now)
        .returning(t.c.ticket_id, t.c.service, t.c.session_index)
    ).all()
    correlation_id, parent_call_id = trace
    for row in ended:
        enqueue(
            session,
            work_items,
            kind=DELIVER,
            ref=row.ticket_id,
            payload={"service": row.service, "session_index": row.session_index},
            correlation_id=correlation_id,
            parent_call_id=parent_call_id,
        )
    return len(ended)


def logout_request(session_index: str, now: datetime) -> str:
    """The SAML 2 ``LogoutRequest`` of CAS single logout."""
    instant = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"'
        ' xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"'
        f' ID="LR-{secrets.token_hex(16)}" Version="2.0" IssueInstant="{instant}">'
        "<saml:NameID>@NOT_USED@</saml:NameID>"
        f"<samlp:SessionIndex>{escape(session_index)}</samlp:SessionIndex>"
        "</samlp:LogoutRequest>"
    )


def deliver(item: dict, timeout: float, now: datetime) -> None:
    """POST one logout request; ``RetryLater`` until the service accepts it or
    ``ATTEMPTS`` were made."""
    payload = item["payload"]
    try:
        answer = requests.post(
            payload["service"],
            data={"logoutRequest": logout_request(payload["session_index"], now)},
            timeout=timeout,
            allow_redirects=False,
        )
        accepted = 200 <= answer.status_code < 300
        error = f"service_answered_{answer.status_code}"
    except requests.RequestException:
        accepted, error = False, "service_unreachable"
    if accepted:
        return
    if item["attempts"] >= ATTEMPTS:
        _log.warning("CAS single logout given up after %s attempts", item["attempts"])
        return
    raise RetryLater(error)
