"""Acting for an organisation (sso.md, "Who the user is"): a person who is an agent
answers, before entering, whether they act as themselves or for one of the
organisations that designated them. The answer is a one-time choice bound to the
portal session; the code, the tokens and userinfo carry it, and every use asks
accounts again, so a revoked agent stops acting for the organisation at once.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from contracts.accounts import AccountsClient
from contracts.accounts.replies import IdentityClaims as Me
from contracts.accounts.replies import RepresentedOrganization
from contracts.errors import Forbidden
from contracts.sso import REFUSALS, ActingChoice, ActingFor, CodeGrant
from sqlalchemy.orm import Session

from sso.models import acting_choices


def _refuse(code: str) -> Forbidden:
    return Forbidden(code, REFUSALS[code])


def represented(me: Me | None) -> list[RepresentedOrganization]:
    """The organisations a person acts for now (none for an organisation)."""
    if me is None or me.kind != "person":
        return []
    return me.represented_organizations


def choose(
    session: Session,
    accounts: AccountsClient,
    ttl: int,
    now: datetime,
    choice: tuple[str, str, str | None],
) -> ActingChoice:
    """Keep ``(session_id, account_id, organization_id)`` for one authorize step."""
    session_id, account_id, organization_id = choice
    if organization_id is not None and not accounts.acts_for(
        person_id=account_id, organization_id=organization_id
    ):
        raise _refuse("not_an_agent")
    choice_id = f"chc_{secrets.token_hex(16)}"
    session.execute(
        acting_choices.insert().values(
            choice_id=choice_id,
            session_id=session_id,
            account_id=account_id,
            organization_id=organization_id,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
        )
    )
    return ActingChoice(choice_id=choice_id, expires_in=ttl)


def resolve(
    session: Session,
    grant: CodeGrant,
    organizations: list[RepresentedOrganization],
    now: datetime,
) -> str | None:
    """The organisation the code is for (None: as myself); consumes the choice.
    An agent without a live choice of this session must be asked first."""
    if not organizations and not grant.select_account:
        return None
    table = acting_choices
    row = None
    if grant.acting_choice:
        row = session.execute(
            table.update()
            .where(
                table.c.choice_id == grant.acting_choice,
                table.c.session_id == grant.session_id,
                table.c.account_id == grant.account_id,
                table.c.used_at.is_(None),
                table.c.expires_at > now,
            )
            .values(used_at=now)
            .returning(table.c.organization_id)
        ).first()
    if row is None:
        raise _refuse("account_selection_required")
    allowed = {org.organization_id for org in organizations}
    if row.organization_id is not None and row.organization_id not in allowed:
        raise _refuse("not_an_agent")
    return row.organization_id


def acting_for(me: Me, organization_id: str) -> ActingFor | None:
    """The organisation as business systems see it, or None when the person is no
    longer its agent (``me`` is read for every token and userinfo: a revocation
    counts at once)."""
    for org in represented(me):
        if org.organization_id == organization_id:
            return ActingFor(
                organization_id=org.organization_id,
                name=org.name,
                unique_code=org.unique_code,
                role="agent",
            )
    return None
