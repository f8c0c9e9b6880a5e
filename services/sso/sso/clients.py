"""Business systems (OAuth 2 / OIDC clients): registered by a configuration file
loaded at every start and by the admin CLI (add, rotate a secret, disable).

A secret is a high-entropy random value (``rotate_secret`` makes 256 bits), so it
is kept as its SHA-256 and compared in constant time: a slow password hash would
add nothing but latency to every token request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import sqlalchemy as sa
import yaml
from contracts.sso import ClientInfo
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from sso.models import clients

SECRET_METHODS = ("client_secret_basic", "client_secret_post")
PRIVATE_KEY_JWT = "private_key_jwt"

# Written when a client is first added, and by the CLI only: a restart never
# re-enables a disabled client or brings back a rotated secret.
_KEPT_ON_RELOAD = ("client_id", "secret_hash", "enabled", "created_at")


class Registration(BaseModel):
    """One business system as the configuration file or the CLI describes it."""

    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{2,63}$")
    secret: str | None = Field(default=None, min_length=16)
    secret_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    token_endpoint_auth_method: Literal[
        "client_secret_basic", "client_secret_post", "private_key_jwt", "none"
    ] = "client_secret_basic"  # noqa: S105 - not a secret
    # OIDC redirect URIs and CAS service URLs, each matched exactly: a business
    # system has at least one of either
    redirect_uris: list[str] = []
    cas_services: list[str] = []
    # private_key_jwt: the client's public keys (RFC 7517 JWK Set, inline)
    jwks: dict[str, Any] | None = None
    post_logout_redirect_uris: list[str] = []
    backchannel_logout_uri: str | None = None
    initiate_login_uri: str | None = None
    scopes: list[str] = ["openid", "profile"]
    account_kinds: list[Literal["person", "organization"]] = [
        "person",
        "organization",
    ]
    require_real_name: bool = False
    personal_data_allowed: bool = False
    id_token_alg: Literal["RS256", "ES256"] = "RS256"  # noqa: S105 - not a secret
    name_zh: str
    name_en: str
    description: str = ""
    icon: str | None = None

    @model_validator(mode="after")
    def _secret_matches_the_method(self) -> Registration:
        method = self.token_endpoint_auth_method
        has_secret = bool(self.secret or self.secret_sha256)
        if method in ("none", "private_key_jwt") and has_secret:
            raise ValueError(f"{self.client_id}: a {method} client has no secret")
        if (method == "private_key_jwt") != (self.jwks is not None):
            raise ValueError(f"{self.client_id}: jwks is for private_key_jwt only")
        if self.jwks is not None:
            public_jwks(self.jwks)
        if "openid" not in self.scopes:
            raise ValueError(f"{self.client_id}: scopes must include openid")
        if not (self.redirect_uris or self.cas_services):
            raise ValueError(
                f"{self.client_id}: give redirect_uris (OIDC) or cas_services (CAS)"
            )
        for url in self.cas_services:
            if (
                urlsplit(url).scheme not in ("http", "https")
                or not urlsplit(url).netloc
            ):
                raise ValueError(f"{self.client_id}: {url!r} is not an absolute URL")
        return self

    def secret_hash(self) -> str | None:
        if self.secret_sha256:
            return self.secret_sha256
        return hash_secret(self.secret) if self.secret else None

    def row(self, now: datetime) -> dict[str, Any]:
        values = self.model_dump(exclude={"secret", "secret_sha256"})
        return {
            **values,
            "secret_hash": self.secret_hash(),
            "enabled": True,
            "created_at": now,
            "updated_at": now,
        }


def public_jwks(jwks: dict[str, Any]) -> dict[str, Any]:
    """``jwks`` when it is a JWK Set of public RSA or EC signing keys; raises
    ``ValueError`` otherwise (a private key in a registration is a mistake)."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys:
        raise ValueError("jwks: a JWK Set {keys: [...]} with at least one key")
    for key in keys:
        if not isinstance(key, dict) or key.get("kty") not in ("RSA", "EC"):
            raise ValueError("jwks: RSA or EC keys only")
        if "d" in key:
            raise ValueError("jwks: public keys only (a key has its private part)")
    try:
        KeySet.import_key_set(jwks)
    except (JoseError, ValueError, TypeError) as exc:
        raise ValueError(f"jwks: {exc}") from None
    return jwks


def hash_secret(secret: str) -> str:
    """How sso keeps every bearer secret it must recognise but never show: a
    client's secret, an authorization code, a CAS service ticket (high-entropy
    values, so a plain SHA-256 suffices)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def read_file(path: str | Path) -> list[Registration]:
    """The registrations of a YAML file ``{clients: [...]}``; raises on any error."""
    data = yaml.safe_load(Path(path).read_text("utf-8")) or {}
    return [Registration.model_validate(item) for item in data.get("clients", [])]


def register(session: Session, registration: Registration, now: datetime) -> None:
    """Add a client, or update an existing one's description (not its secret or
    whether it is enabled)."""
    row = registration.row(now)
    statement = insert(clients).values(**row)
    keyless = row["token_endpoint_auth_method"] in ("none", "private_key_jwt")
    # a CAS-only system (no redirect URI) never authenticates at the token endpoint
    if row["secret_hash"] is None and not keyless and row["redirect_uris"]:
        raise ValueError(
            f"{registration.client_id}: a confidential client needs a secret"
        )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[clients.c.client_id],
            set_={k: v for k, v in row.items() if k not in _KEPT_ON_RELOAD},
        )
    )


def load_file(session: Session, path: str | Path, now: datetime) -> int:
    registrations = read_file(path)
    for registration in registrations:
        register(session, registration, now)
    return len(registrations)


def rotate_secret(session: Session, client_id: str, now: datetime) -> str | None:
    """A new secret for ``client_id`` (returned once, kept hashed); None if unknown."""
    secret = secrets.token_urlsafe(32)
    done = session.execute(
        clients.update()
        .where(
            clients.c.client_id == client_id,
            clients.c.token_endpoint_auth_method.in_(SECRET_METHODS),
        )
        .values(secret_hash=hash_secret(secret), updated_at=now)
    ).rowcount
    return secret if done else None


def set_jwks(session: Session, client_id: str, jwks: dict, now: datetime) -> bool:
    """New public keys for a ``private_key_jwt`` client (its key rotation)."""
    return bool(
        session.execute(
            clients.update()
            .where(
                clients.c.client_id == client_id,
                clients.c.token_endpoint_auth_method == PRIVATE_KEY_JWT,
            )
            .values(jwks=public_jwks(jwks), updated_at=now)
        ).rowcount
    )


def set_enabled(session: Session, client_id: str, enabled: bool, now: datetime) -> bool:
    return bool(
        session.execute(
            clients.update()
            .where(clients.c.client_id == client_id)
            .values(enabled=enabled, updated_at=now)
        ).rowcount
    )


def find(session: Session, client_id: str):
    """The enabled client's row, or None."""
    return session.execute(
        sa.select(clients).where(
            clients.c.client_id == client_id, clients.c.enabled.is_(True)
        )
    ).first()


def enabled_clients(session: Session) -> list:
    return session.execute(
        sa.select(clients)
        .where(clients.c.enabled.is_(True))
        .order_by(clients.c.client_id)
    ).all()


def info(row) -> ClientInfo:
    return ClientInfo(
        client_id=row.client_id,
        name_zh=row.name_zh,
        name_en=row.name_en,
        redirect_uris=list(row.redirect_uris),
        post_logout_redirect_uris=list(row.post_logout_redirect_uris),
        scopes=list(row.scopes),
        token_endpoint_auth_method=row.token_endpoint_auth_method,
        id_token_signed_response_alg=row.id_token_alg,
        enabled=row.enabled,
        jwks=row.jwks,
    )


def secret_matches(row, client_secret: str) -> bool:
    """Whether ``client_secret`` is the secret of the client ``row`` (None: an
    unknown client), compared in constant time against its hash."""
    # the same comparison runs for an unknown client, against a random hash
    stored = row.secret_hash if row is not None and row.secret_hash else None
    expected = stored or secrets.token_hex(32)
    matches = hmac.compare_digest(expected, hash_secret(client_secret))
    return matches and stored is not None
