"""Authorization codes: kept by hash, single use, at most a minute (sso.md).

The first redemption consumes the code in one ``UPDATE ... WHERE redeemed_at IS
NULL`` (atomic across every copy); a second one finds it spent and revokes every
token issued from it (RFC 6749 §4.1.2, 10.5).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from contracts.sso import CodeGrant, CodeSaved, RedeemedCode
from sqlalchemy.orm import Session

from sso.models import authorization_codes, tokens


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def save(
    session: Session,
    grant: CodeGrant,
    acting_for: str | None,
    now: datetime,
    ttl: int,
) -> CodeSaved:
    session.execute(
        authorization_codes.insert().values(
            code_hash=_hash(grant.code),
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
            issued_at=now,
            expires_at=now + timedelta(seconds=ttl),
        )
    )
    return CodeSaved(expires_in=ttl)


def redeem(
    session: Session, code: str, client_id: str, now: datetime
) -> RedeemedCode | None:
    """The code, consumed now; None when unknown, spent, expired or another
    client's. A spent code's tokens are revoked."""
    table = authorization_codes
    row = session.execute(
        table.update()
        .where(table.c.code_hash == _hash(code), table.c.redeemed_at.is_(None))
        .values(redeemed_at=now)
        .returning(table)
    ).first()
    if row is None:
        spent = session.execute(
            sa.select(table.c.code_id).where(table.c.code_hash == _hash(code))
        ).first()
        if spent is not None:
            session.execute(
                tokens.update()
                .where(tokens.c.code_id == spent.code_id, tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        return None
    if row.expires_at <= now or row.client_id != client_id:
        return None
    return RedeemedCode(
        code_id=row.code_id,
        client_id=row.client_id,
        redirect_uri=row.redirect_uri,
        scope=row.scope,
        account_id=row.account_id,
        auth_time=row.auth_time,
        nonce=row.nonce,
        code_challenge=row.code_challenge,
        code_challenge_method=row.code_challenge_method,
    )


def take_for_tokens(session: Session, code_id: str, client_id: str, now: datetime):
    """The redeemed code's row, marked as having its tokens (once); or None."""
    table = authorization_codes
    return session.execute(
        table.update()
        .where(
            table.c.code_id == code_id,
            table.c.client_id == client_id,
            table.c.redeemed_at.is_not(None),
            table.c.tokens_issued_at.is_(None),
        )
        .values(tokens_issued_at=now)
        .returning(table)
    ).first()
