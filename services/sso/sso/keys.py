"""Signing keys, shared by every copy through the database, and rotated.

One active key per algorithm (RS256, ES256). The first copy that needs a key makes
it, under a transaction-level advisory lock so two copies starting together make
one. ``rotate`` retires the active keys (a new one is made on next use) and keeps
each retired key in the JWKS until ``publish_until``, when no token it signed can
still be live. Private keys are stored encrypted with the personal-data cipher
(``servicekit.crypto``, kind ``signing_key``), so rotating ``PII_KEYS`` covers them.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey
from servicekit.crypto import PersonalDataCipher
from sqlalchemy.orm import Session

from sso.models import signing_keys

ALGORITHMS = ("RS256", "ES256")
_KIND = "signing_key"
_LOCK_ID = 0x550_4B45  # pg_advisory_xact_lock: one key maker at a time


def _generate(alg: str) -> RSAKey | ECKey:
    kid = f"{alg.lower()}-{secrets.token_hex(8)}"
    if alg == "RS256":
        return RSAKey.generate_key(2048, {"kid": kid, "alg": alg, "use": "sig"})
    return ECKey.generate_key("P-256", {"kid": kid, "alg": alg, "use": "sig"})


# Private keys already read, by kid: a kid's key never changes, and reading an RSA
# key (its consistency check) costs ~55 ms of CPU that would block the event loop on
# every token. Which key is active is still read from the database every time.
_imported: dict[str, RSAKey | ECKey] = {}


def _import(row, cipher: PersonalDataCipher) -> RSAKey | ECKey:
    key = _imported.get(row.kid)
    if key is None:
        key = _imported[row.kid] = _read(row, cipher)
    return key


def _read(row, cipher: PersonalDataCipher) -> RSAKey | ECKey:
    pem = cipher.decrypt(row.private_key_enc, _KIND)
    params = {"kid": row.kid, "alg": row.alg, "use": "sig"}
    if row.alg == "RS256":
        return RSAKey.import_key(pem, params)
    return ECKey.import_key(pem, params)


def _active(session: Session, alg: str):
    return session.execute(
        sa.select(signing_keys)
        .where(signing_keys.c.alg == alg, signing_keys.c.retired_at.is_(None))
        .order_by(signing_keys.c.created_at.desc())
        .limit(1)
    ).first()


def active_key(
    session: Session, cipher: PersonalDataCipher, alg: str, now: datetime
) -> RSAKey | ECKey:
    """The key that signs with ``alg`` now, made on first need."""
    row = _active(session, alg)
    if row is None:
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_ID)))
        row = _active(session, alg)  # another copy may have made it meanwhile
        if row is None:
            key = _generate(alg)
            session.execute(
                signing_keys.insert().values(
                    kid=key.kid,
                    alg=alg,
                    private_key_enc=cipher.encrypt(
                        key.as_pem(private=True).decode(), _KIND
                    ),
                    public_jwk=key.as_dict(private=False),
                    created_at=now,
                )
            )
            return key
    return _import(row, cipher)


# The keys that verify are remembered by a process for this many seconds (a
# userinfo call then reads no key from the database), and read again at once for a
# token naming a key not among them (one made by another copy, or after a
# rotation). A key removed from the JWKS signed only tokens expired since.
CACHE_SECONDS = 5.0
_verifying: list = [0.0, KeySet([]), frozenset()]  # when, the key set, its kids


def _kid(token: str) -> str | None:
    """The ``kid`` of a compact JWS's header, read without verifying anything."""
    try:
        head = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


def _verifying_keys(session: Session, token: str, now: datetime) -> KeySet:
    """The published keys, read again when older than ``CACHE_SECONDS`` or when
    the token names a key not among them (made by another copy meanwhile)."""
    when, keyset, kids = _verifying
    fresh = time.monotonic() - when < CACHE_SECONDS
    if not fresh or _kid(token) not in kids:
        published_keys = published(session, now)
        keyset = KeySet.import_key_set({"keys": published_keys})
        kids = frozenset(key.get("kid") for key in published_keys)
        _verifying[:] = [time.monotonic(), keyset, kids]
    return keyset


def published(session: Session, now: datetime) -> list[dict]:
    """The public keys of the JWKS: active ones and retired ones still needed."""
    rows = session.execute(
        sa.select(signing_keys.c.public_jwk)
        .where(
            sa.or_(
                signing_keys.c.publish_until.is_(None),
                signing_keys.c.publish_until > now,
            )
        )
        .order_by(signing_keys.c.created_at)
    ).all()
    return [dict(row.public_jwk) for row in rows]


def rotate(session: Session, now: datetime, publish_seconds: int) -> list[str]:
    """Retire every active key (new ones are made on next use); returns their kids."""
    retired = session.execute(
        signing_keys.update()
        .where(signing_keys.c.retired_at.is_(None))
        .values(retired_at=now, publish_until=now + timedelta(seconds=publish_seconds))
        .returning(signing_keys.c.kid)
    ).all()
    return [row.kid for row in retired]


def sign(key: RSAKey | ECKey, claims: dict, typ: str = "JWT") -> str:
    header = {"alg": key.alg, "kid": key.kid, "typ": typ}
    return jwt.encode(header, claims, key, algorithms=[key.alg])


def verify(
    session: Session, token: str, now: datetime, typ: str, expired_ok: bool = False
) -> dict | None:
    """The claims of ``token`` when a published key signed it, its ``typ`` is
    ``typ`` and it has not expired (unless ``expired_ok``); None otherwise."""
    keys = _verifying_keys(session, token, now)
    try:
        decoded = jwt.decode(token, keys, algorithms=list(ALGORITHMS))
    except (JoseError, ValueError, json.JSONDecodeError):
        return None
    if decoded.header.get("typ") != typ:
        return None
    claims = decoded.claims
    if not isinstance(claims.get("exp"), int):
        return None
    if claims["exp"] <= now.timestamp() and not expired_ok:
        return None
    return claims
