"""``private_key_jwt`` client authentication (OIDC Core §9, RFC 7523 §2.2 and §3).

The client signs a JWT with a key of the JWK Set it registered: ``iss`` and ``sub``
its client id, ``aud`` the token endpoint's URL or the issuer, ``exp`` (at most
``MAX_LIFETIME`` ahead), ``jti``. The signature is checked against the client's
registered public keys (RS256 or ES256 only), and the ``jti`` is kept until
``exp`` in ``client_assertions``, by one ``INSERT ... ON CONFLICT DO NOTHING``:
a replayed assertion is refused by every copy.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from sso.models import client_assertions

ALGORITHMS = ["RS256", "ES256"]
TOKEN_PATH = "/oidc/token"  # noqa: S105 - the token endpoint's path (the gateway's)
LEEWAY = 30  # seconds of clock skew allowed on exp, nbf and iat
MAX_LIFETIME = 600  # an assertion valid longer than this is refused


def audiences(issuer: str) -> list[str]:
    """The values ``aud`` may hold: the token endpoint's URL, or the issuer."""
    return [issuer.rstrip("/") + TOKEN_PATH, issuer]


def _claims(row, assertion: str, issuer: str, now: datetime) -> dict | None:
    """The assertion's claims when its signature and claims are good, else None."""
    try:
        keys = KeySet.import_key_set(row.jwks or {"keys": []})
        decoded = jwt.decode(assertion, keys, algorithms=ALGORITHMS)
        jwt.JWTClaimsRegistry(
            now=int(now.timestamp()),
            leeway=LEEWAY,
            iss={"essential": True, "value": row.client_id},
            sub={"essential": True, "value": row.client_id},
            aud={"essential": True, "values": audiences(issuer)},
            exp={"essential": True},
            jti={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, ValueError, TypeError, json.JSONDecodeError):
        return None
    claims = decoded.claims
    if not isinstance(claims["jti"], str) or not 0 < len(claims["jti"]) <= 256:
        return None
    if claims["exp"] > now.timestamp() + MAX_LIFETIME + LEEWAY:
        return None
    return claims


def authenticate(
    session: Session, row, assertion: str | None, issuer: str, now: datetime
) -> bool:
    """Whether ``assertion`` authenticates the ``private_key_jwt`` client ``row``
    (its method checked by the caller); its ``jti`` is then spent (until ``exp``)."""
    if row is None or not assertion or not row.jwks:
        return False
    claims = _claims(row, assertion, issuer, now)
    if claims is None:
        return False
    table = client_assertions
    session.execute(table.delete().where(table.c.expires_at <= now))
    kept = session.execute(
        insert(table)
        .values(
            client_id=row.client_id,
            jti=claims["jti"],
            expires_at=datetime.fromtimestamp(claims["exp"], UTC)
            + timedelta(seconds=LEEWAY),
        )
        .on_conflict_do_nothing()
        .returning(sa.literal(1))
    ).first()
    return kept is not None
