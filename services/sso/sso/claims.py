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
    "sid",
    "phone_number",
    "phone_number_verified",
    "document_type",
    "document_number",
]
# phone: phone_number, phone_number_verified (OIDC Core §5.4); identity: the
# identity document's type and number (an organisation's credit code)
PERSONAL_SCOPES = ("phone", "identity")
SCOPES_SUPPORTED = ["openid", "profile", *PERSONAL_SCOPES]


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


def personal_claims(
    accounts: AccountsClient, account_id: str, scope: str, allowed: bool
) -> tuple[dict[str, Any], bool | None]:
    """The personal data of ``scope`` (``phone``, ``identity``) and whether it is
    masked: in full only for a business system registered as allowed to receive
    it (``personal_data_allowed``); accounts masks it otherwise, so the full
    value never leaves accounts. ``({}, None)`` when the scope asks for none."""
    groups = [s for s in PERSONAL_SCOPES if s in scope.split()]
    if not groups:
        return {}, None
    found = accounts.get_personal_claims(
        account_id=account_id, groups=groups, masked=not allowed
    )
    return found.model_dump(exclude_none=True), not allowed
