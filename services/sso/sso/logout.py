"""RP-Initiated Logout 1.0: where the browser may go after the portal's session
ended. A ``post_logout_redirect_uri`` is followed only when it is registered,
exactly, for the client the (signed) ID token hint names, or the ``client_id``
given; anything doubtful sends the browser nowhere (the provider's own answer).
"""

from __future__ import annotations

from datetime import datetime

from contracts.sso import LogoutTarget
from sqlalchemy.orm import Session

from sso import backchannel, clients, keys


def _hint(
    session: Session, hint: str | None, issuer: str, now: datetime
) -> tuple[str, str, str | None] | None:
    """(client, subject, the portal session its ``sid`` names) of an ID token
    this provider signed, or None."""
    if not hint:
        return None
    claims = keys.verify(session, hint, now, "JWT", expired_ok=True)
    if claims is None or claims.get("iss") != issuer:
        return None
    audience, subject, sid = claims.get("aud"), claims.get("sub"), claims.get("sid")
    if not isinstance(audience, str) or not isinstance(subject, str):
        return None
    session_id = (
        backchannel.session_of_sid(session, sid) if isinstance(sid, str) else None
    )
    return audience, subject, session_id


def target(
    session: Session,
    issuer: str,
    now: datetime,
    request: tuple[str | None, str | None, str | None],
) -> LogoutTarget:
    hint, client_id, redirect_uri = request
    hinted = _hint(session, hint, issuer, now)
    if hint and hinted is None:
        return LogoutTarget()  # a hint we did not sign: follow nothing
    if hinted and client_id and hinted[0] != client_id:
        return LogoutTarget()
    client_id = hinted[0] if hinted else client_id
    row = clients.find(session, client_id) if client_id else None
    named = {"subject": hinted[1], "session_id": hinted[2]} if hinted else {}
    if row is None:
        return LogoutTarget(**named)
    allowed = redirect_uri in list(row.post_logout_redirect_uris)
    return LogoutTarget(
        client_id=row.client_id,
        redirect_uri=redirect_uri if allowed else None,
        **named,
    )
