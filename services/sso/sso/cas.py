"""The CAS 3.0 façade (sso.md; Apereo CAS Protocol 3.0) over the portal session.

A business system that only speaks CAS registers its service URLs
(``cas_services``, matched exactly like redirect URIs). ``/cas/login`` with a
portal session gets a service ticket ``ST-...``: random, kept as its SHA-256,
bound to the service URL and the portal session, at most ``TICKET_TTL`` seconds
(the spec recommends 10), admitted by the same rules as an OIDC code (account
kinds, real name, acting for an organisation). Its first validation spends it, in
one ``UPDATE ... WHERE validated_at IS NULL`` (atomic across copies), whatever
the outcome: another service's ticket answers ``INVALID_SERVICE`` and is spent.

``renew``: a login asked for (``start_renewal``) while the browser had session
*S* is met by a ticket request from another session, i.e. a login made since;
such a ticket is ``from_new_login`` and only such a ticket passes a validation
with ``renew=true``.

A successful validation records the SSO session entry (as an OIDC token issue
does), audits the release (channel ``cas``) and emits ``business_system_entered``.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from contracts.accounts.replies import IdentityClaims as Me
from contracts.errors import Forbidden, NotFound
from contracts.sso import REFUSALS, ActingFor, BusinessSystemEntered
from contracts.sso_cas import (
    CasFailure,
    CasRenewal,
    CasService,
    CasTicketIssued,
    CasTicketRequest,
    CasValidation,
)
from sqlalchemy.orm import Session

from sso import acting, backchannel, claims, clients, tokens
from sso.clients import hash_secret
from sso.models import cas_renewals, cas_tickets

TICKET_TTL = 10  # seconds (CAS 3.0 §3.1.1 recommends about 10 s)
RENEWAL_TTL = 600  # seconds a login page may take before the login counts as new
RENEWAL_REQUIRED = "cas_renewal_required"
REFUSED = {**REFUSALS, RENEWAL_REQUIRED: "请重新输入密码。"}


def find_service(session: Session, service: str):
    """The enabled client that registered ``service`` exactly, or None."""
    for row in clients.enabled_clients(session):
        if service in (row.cas_services or []):
            return row
    return None


def service_info(row) -> CasService:
    return CasService(client_id=row.client_id, name_zh=row.name_zh, name_en=row.name_en)


def start_renewal(
    session: Session, session_id: str | None, now: datetime
) -> CasRenewal:
    renewal_id = f"ren_{secrets.token_hex(16)}"
    session.execute(
        cas_renewals.insert().values(
            renewal_id=renewal_id,
            prior_session_id=session_id,
            created_at=now,
            expires_at=now + timedelta(seconds=RENEWAL_TTL),
        )
    )
    return CasRenewal(renewal_id=renewal_id, expires_in=RENEWAL_TTL)


def _renewed(session: Session, request: CasTicketRequest, now: datetime) -> bool:
    """Whether the request's renewal is live and met by a login since (consumed)."""
    if not request.renewal:
        return False
    t = cas_renewals
    return (
        session.execute(
            t.update()
            .where(
                t.c.renewal_id == request.renewal,
                t.c.used_at.is_(None),
                t.c.expires_at > now,
                sa.or_(
                    t.c.prior_session_id.is_(None),
                    t.c.prior_session_id != request.session_id,
                ),
            )
            .values(used_at=now)
            .returning(t.c.renewal_id)
        ).first()
        is not None
    )


def _refuse(code: str) -> Forbidden:
    return Forbidden(code, REFUSED[code])


def issue(
    session: Session, me: Me | None, request: CasTicketRequest, now: datetime
) -> CasTicketIssued:
    """A service ticket for ``request`` (``me``: the account, read from accounts)."""
    client = find_service(session, request.service)
    if client is None:
        raise NotFound("cas_service_not_registered", "No business system has this URL.")
    reason = claims.refusal(client, me)
    if reason is not None:
        raise _refuse(reason)
    organization = acting.resolve(session, request, acting.represented(me), now)
    fresh = _renewed(session, request, now)
    if request.renew and not fresh:
        raise _refuse(RENEWAL_REQUIRED)
    ticket = f"ST-{secrets.token_hex(20)}"
    session.execute(
        cas_tickets.insert().values(
            ticket_hash=hash_secret(ticket),
            ticket_id=f"cst_{secrets.token_hex(16)}",
            client_id=client.client_id,
            service=request.service,
            account_id=request.account_id,
            session_id=request.session_id,
            acting_for=organization,
            from_new_login=fresh,
            issued_at=now,
            expires_at=now + timedelta(seconds=TICKET_TTL),
        )
    )
    return CasTicketIssued(ticket=ticket, expires_in=TICKET_TTL, from_new_login=fresh)


def _failure(code: str, description: str) -> CasValidation:
    return CasValidation(failure=CasFailure(code=code, description=description))


def _spend(session: Session, ticket: str, now: datetime):
    t = cas_tickets
    return session.execute(
        t.update()
        .where(t.c.ticket_hash == hash_secret(ticket), t.c.validated_at.is_(None))
        .values(validated_at=now)
        .returning(t)
    ).first()


def _refusal(row, ticket: str, service: str, renew: bool, now) -> CasValidation | None:
    if row is None:
        return _failure("INVALID_TICKET", f"Ticket {ticket} not recognized")
    if row.expires_at <= now:
        return _failure("INVALID_TICKET", f"Ticket {ticket} has expired")
    if row.service != service:
        return _failure(
            "INVALID_SERVICE", f"Ticket {ticket} was not issued for this service"
        )
    if renew and not row.from_new_login:
        return _failure(
            "INVALID_TICKET", f"Ticket {ticket} was not issued from a new login"
        )
    return None


def attributes(
    user: dict[str, Any], org: ActingFor | None, from_new_login: bool
) -> dict[str, Any]:
    """The CAS attributes: the OIDC claims but ``sub`` (which is ``cas:user``),
    the organisation acted for as ``acting_for_*``, and CAS 3.0's own."""
    found = {k: v for k, v in user.items() if k != "sub"}
    if org is not None:
        found.update({f"acting_for_{k}": v for k, v in org.model_dump().items()})
    found["isFromNewLogin"] = from_new_login
    found["longTermAuthenticationRequestTokenUsed"] = False
    return found


def validate(
    deps: tokens.TokenDeps, ticket: str, service: str, renew: bool
) -> CasValidation:
    """Spend ``ticket`` and say who it is for, or why not."""
    row = _spend(deps.session, ticket, deps.now)
    refused = _refusal(row, ticket, service, renew, deps.now)
    if refused is not None:
        return refused
    entered = tokens.entering(deps, row.client_id, row.account_id, row.acting_for)
    if not entered or service not in (entered[0].cas_services or []):
        return _failure(
            "INVALID_TICKET", "The account may no longer enter this business system"
        )
    client, me, org = entered
    user = claims.user_claims(me, " ".join(client.scopes))
    found = attributes(user, org, row.from_new_login)
    deps.session.execute(
        cas_tickets.update()
        .where(cas_tickets.c.ticket_hash == row.ticket_hash)
        .values(session_index=ticket)
    )
    backchannel.record_entry(
        deps.session, row.session_id, row.client_id, row.account_id, deps.now
    )
    tokens.audit(deps, (row.client_id, row.account_id, "cas"), {"sub", *found})
    deps.emit(
        BusinessSystemEntered(
            client_id=row.client_id, account_id=row.account_id, code_id=row.ticket_id
        )
    )
    return CasValidation(user=user["sub"], attributes=found)
