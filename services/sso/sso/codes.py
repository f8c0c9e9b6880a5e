"""Authorization codes: kept by hash, single use, at most a minute (sso.md).

The first redemption consumes the code in one ``UPDATE ... WHERE redeemed_at IS
NULL`` (atomic across every copy) that also decides, in the same statement,
whether the redemption may have tokens: the code is the client's, alive, the
``redirect_uri`` is the one of the authorize request and the S256 of the
``code_verifier`` is its challenge (``tokens_issued_at`` set only then). A code
that fails is spent all the same; a second redemption finds it spent and revokes
every token issued from it (RFC 6749 §4.1.2, 10.5).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from contracts.sso import CodeGrant, CodeSaved
from sqlalchemy.orm import Session

from sso.clients import hash_secret
from sso.models import authorization_codes, tokens


def save(
    session: Session,
    grant: CodeGrant,
    acting_for: str | None,
    claims: dict[str, Any],
    now: datetime,
    ttl: int,
) -> CodeSaved:
    """Keep the code with ``claims``, the user's claims for its ID token."""
    session.execute(
        authorization_codes.insert().values(
            code_hash=hash_secret(grant.code),
            code_id=f"cod_{secrets.token_hex(16)}",
            client_id=grant.client_id,
            redirect_uri=grant.redirect_uri,
            scope=grant.scope,
            account_id=grant.account_id,
            session_id=grant.session_id,
            auth_time=grant.auth_time,
            nonce=grant.nonce,
            code_challenge=grant.code_challenge,
            code_challenge_method=grant.code_challenge_method,
            acting_for=acting_for,
            claims=claims,
            issued_at=now,
            expires_at=now + timedelta(seconds=ttl),
        )
    )
    return CodeSaved(expires_in=ttl)


def s256(code_verifier: str) -> str:
    """RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier)))."""
    digest = hashlib.sha256(code_verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def redeem(session: Session, code: str, binding: tuple, now: datetime):
    """The code's row, consumed now, when it may have tokens; None otherwise
    (unknown, spent, expired, another client's, another redirect URI, a wrong
    verifier). ``binding`` is (client_id, redirect_uri, code_verifier). A spent
    code's tokens are revoked."""
    client_id, redirect_uri, code_verifier = binding
    table = authorization_codes
    usable = sa.and_(
        table.c.client_id == client_id,
        table.c.expires_at > now,
        table.c.redirect_uri == (redirect_uri or ""),
        table.c.code_challenge_method == "S256",
        table.c.code_challenge == s256(code_verifier),
    )
    row = session.execute(
        table.update()
        .where(table.c.code_hash == hash_secret(code), table.c.redeemed_at.is_(None))
        .values(redeemed_at=now, tokens_issued_at=sa.case((usable, now)))
        .returning(table)
    ).first()
    if row is None:
        _revoke_spent(session, code, now)
        return None
    return row if row.tokens_issued_at is not None else None


def _revoke_spent(session: Session, code: str, now: datetime) -> None:
    table = authorization_codes
    spent = session.execute(
        sa.select(table.c.code_id).where(table.c.code_hash == hash_secret(code))
    ).first()
    if spent is not None:
        session.execute(
            tokens.update()
            .where(tokens.c.code_id == spent.code_id, tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
