"""The service catalogue (服务事项): every enabled business system with, for the
caller, whether it may enter and why not."""

from __future__ import annotations

from urllib.parse import urlencode

from contracts.accounts import AccountsClient
from contracts.sso import REFUSALS, Catalogue, CatalogueEntry
from sqlalchemy.orm import Session

from sso import claims, clients


def enter_url(initiate_login_uri: str | None, issuer: str) -> str | None:
    """OIDC Core §4: third-party-initiated login, the issuer named."""
    if not initiate_login_uri:
        return None
    separator = "&" if "?" in initiate_login_uri else "?"
    return f"{initiate_login_uri}{separator}{urlencode({'iss': issuer})}"


def list_services(
    session: Session, accounts: AccountsClient, account_id: str | None, issuer: str
) -> Catalogue:
    rows = clients.enabled_clients(session)
    me = claims.account(accounts, account_id) if account_id else None
    items = []
    for row in rows:
        reason = claims.refusal(row, me)
        items.append(
            CatalogueEntry(
                client_id=row.client_id,
                name_zh=row.name_zh,
                name_en=row.name_en,
                description=row.description,
                icon=row.icon,
                initiate_login_uri=row.initiate_login_uri,
                enter_url=(
                    enter_url(row.initiate_login_uri, issuer)
                    if reason is None
                    else None
                ),
                may_enter=reason is None,
                reason=reason,
                reason_text=REFUSALS.get(reason) if reason else None,
            )
        )
    return Catalogue(items=items)
