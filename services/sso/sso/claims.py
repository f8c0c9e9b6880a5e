"""Who the user is, for a business system: the claims assembled from accounts, and
whether an account may enter a business system at all (spec sso.md)."""

from __future__ import annotations

from typing import Any

from contracts.accounts import AccountsClient
from contracts.accounts.replies import IdentityClaims as Me
from contracts.errors import NotFound

# How the login was made (RFC 8176): the portal's session is a password login.
AMR = ["pwd"]
ACR = "urn:portal:acr:password"
CLAIMS_SUPPORTED = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "nonce",
    "at_hash",
    "acr",
    "amr",
    "name",
    "account_kind",
    "real_name_status",
    "trust_level",
    "acting_for",
]
SCOPES_SUPPORTED = ["openid", "profile"]


def trust_level(me: Me) -> int:
    """1: a registered account; 2: its real name verified by the authority."""
    return 2 if me.real_name_status == "passed" else 1


def refusal(row, me: Me | None) -> str | None:
    """Why the account may not enter the business system ``row``, or None."""
    if me is None:
        return "login_required"
    if me.kind not in row.account_kinds:
        return "account_kind_not_admitted"
    if row.require_real_name and me.real_name_status != "passed":
        return "real_name_required"
    return None


def account(accounts: AccountsClient, account_id: str) -> Me | None:
    try:
        return accounts.get_identity_claims(account_id=account_id)
    except NotFound:
        return None


def user_claims(me: Me, scope: str) -> dict[str, Any]:
    """The claims of ``scope`` for ``me`` (``sub`` always; ``profile``: the rest).
    ``sub`` is the account id: stable, never the login name or a document number."""
    claims: dict[str, Any] = {"sub": me.account_id}
    if "profile" in scope.split():
        claims.update(
            name=me.name,
            account_kind=me.kind,
            real_name_status=me.real_name_status,
            trust_level=trust_level(me),
        )
    return claims
