"""Tokens: a JWT access token (RFC 9068) and an ID token (OIDC Core §2) for a
redeemed code; userinfo for a live access token. Every release of claims to a
business system is written to ``releases`` (the audit), in the same transaction.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from contracts.accounts import AccountsClient
from contracts.errors import Unauthenticated
from contracts.events import Event
from contracts.sso import ActingFor, BusinessSystemEntered, TokensIssued
from servicekit.crypto import PersonalDataCipher
from sqlalchemy.orm import Session

from sso import acting, backchannel, claims, clients, keys
from sso.models import releases, tokens
from sso.settings import SsoSettings

ACCESS_TOKEN_TYP = "at+jwt"  # noqa: S105 - a media type


@dataclass(frozen=True)
class TokenDeps:
    session: Session
    cipher: PersonalDataCipher
    accounts: AccountsClient
    settings: SsoSettings
    emit: Callable[[Event], Any]
    now: datetime
    correlation_id: str | None = None


def at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6: the left half of SHA-256 (RS256 and ES256 alike)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def audit(deps: TokenDeps, release: tuple[str, str, str], released, masked=None):
    """One ``releases`` row: (client, account, channel), the claim names and, when
    personal data was among them, whether it was masked."""
    client_id, account_id, channel = release
    deps.session.execute(
        releases.insert().values(
            client_id=client_id,
            account_id=account_id,
            channel=channel,
            claims=sorted(released),
            masked=masked,
            released_at=deps.now,
            correlation_id=deps.correlation_id,
        )
    )


def entering(deps: TokenDeps, client_id: str, account_id: str, organization):
    """(client row, the account, the organisation acted for or None), or None
    when the account may no longer enter (as that organisation's agent)."""
    client = clients.find(deps.session, client_id)
    me = claims.account(deps.accounts, account_id)
    if client is None or me is None or claims.refusal(client, me) is not None:
        return None
    org = None
    if organization is not None:
        org = acting.acting_for(me, organization)
        if org is None:
            return None
    return client, me, org


def user_claims(me, scope: str, org: ActingFor | None) -> dict[str, Any]:
    """The user's claims of ``scope`` (and the organisation acted for) apart from
    personal data: what the code keeps at authorize for its ID token."""
    user = claims.user_claims(me, scope)
    if org is not None:
        user["acting_for"] = org.dump()
    return user


def _personal(deps: TokenDeps, client, account_id: str, scope: str):
    """The personal data of ``scope`` for ``client`` and whether it is masked,
    asked from accounts at each release: a code keeps none of it (sso stores no
    personal data in clear)."""
    return claims.personal_claims(
        deps.accounts, account_id, scope, client.personal_data_allowed
    )


def issue(deps: TokenDeps, code, client) -> TokensIssued:
    """Tokens for the consumed code ``code`` (its row) of the client row ``client``:
    the ID token carries the claims the code took at authorize (``code.claims``)."""
    client_id, user = client.client_id, dict(code.claims)
    org = user.get("acting_for")
    settings, now = deps.settings, int(deps.now.timestamp())
    jti = f"tok_{secrets.token_hex(16)}"
    expires = deps.now + timedelta(seconds=settings.access_token_ttl_seconds)
    deps.session.execute(
        tokens.insert().values(
            jti=jti,
            code_id=code.code_id,
            client_id=client_id,
            account_id=code.account_id,
            session_id=code.session_id,
            scope=code.scope,
            issued_at=deps.now,
            expires_at=expires,
            acting_for=code.acting_for,
        )
    )
    sid = backchannel.record_entry(
        deps.session, code.session_id, client_id, code.account_id, deps.now
    )
    signing_key = keys.active_key(
        deps.session, deps.cipher, client.id_token_alg, deps.now
    )
    access_claims = {
        "iss": settings.issuer,
        "sub": code.account_id,
        "aud": client_id,
        "client_id": client_id,
        "scope": code.scope,
        "jti": jti,
        "iat": now,
        "exp": now + settings.access_token_ttl_seconds,
    }
    if org is not None:
        # RFC 8693 §4.1: the organisation is the subject, the person its actor
        access_claims.update(
            sub=org["organization_id"], act={"sub": code.account_id}, acting_for=org
        )
    access_token = keys.sign(signing_key, access_claims, typ=ACCESS_TOKEN_TYP)
    issued = TokensIssued(
        access_token=access_token,
        # set, so that the reply (set fields only) carries it
        token_type="Bearer",  # noqa: S106 - a token type
        expires_in=settings.access_token_ttl_seconds,
        scope=code.scope,
    )
    if "openid" in code.scope.split():
        personal, masked = _personal(deps, client, code.account_id, code.scope)
        user.update(personal)
        id_claims = {
            **user,
            "iss": settings.issuer,
            "aud": client_id,
            "azp": client_id,
            "iat": now,
            "exp": now + settings.id_token_ttl_seconds,
            "acr": claims.ACR,
            "amr": claims.AMR,
            "at_hash": at_hash(access_token),
            "sid": sid,  # Back-Channel Logout 1.0 §2.1: the logout token's sid
        }
        if code.nonce:
            id_claims["nonce"] = code.nonce
        issued.id_token = keys.sign(signing_key, id_claims)
        audit(deps, (client_id, code.account_id, "id_token"), user, masked)
    deps.emit(
        BusinessSystemEntered(
            client_id=client_id, account_id=code.account_id, code_id=code.code_id
        )
    )
    return issued


def _invalid() -> Unauthenticated:
    return Unauthenticated("invalid_token", "The access token is not valid.")


def userinfo(deps: TokenDeps, access_token: str) -> dict[str, Any]:
    found = keys.verify(deps.session, access_token, deps.now, ACCESS_TOKEN_TYP)
    if found is None or found.get("iss") != deps.settings.issuer:
        raise _invalid()
    row = deps.session.execute(
        sa.select(tokens).where(tokens.c.jti == str(found.get("jti")))
    ).first()
    if row is None or row.revoked_at is not None or row.expires_at <= deps.now:
        raise _invalid()
    entered = entering(deps, row.client_id, row.account_id, row.acting_for)
    if entered is None:
        raise _invalid()
    client, me, org = entered
    user = user_claims(me, row.scope, org)
    personal, masked = _personal(deps, client, row.account_id, row.scope)
    user.update(personal)
    audit(deps, (row.client_id, row.account_id, "userinfo"), user, masked)
    return user
