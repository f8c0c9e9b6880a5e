"""The queries of agents (product.md flow 7): who an organisation designated, whom a
person acts for. Part of :class:`accounts.repository.Repository`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from servicekit.database import read_one
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from accounts.models import accounts, agents, organizations, persons

_ACTS_FOR = sa.select(sa.literal(1)).where(
    agents.c.person_id == sa.bindparam("person_id"),
    agents.c.organization_id == sa.bindparam("organization_id"),
    agents.c.revoked_at.is_(None),
)


class AgentQueries:
    session: Session

    def find_person_by_login_name(self, login_name: str) -> sa.Row | None:
        """``(id, login_name, name)`` of the person account with this name
        (case-insensitive); None for no account, an organisation or staff."""
        return self.session.execute(
            sa.select(accounts.c.id, accounts.c.login_name, persons.c.name)
            .join(persons, persons.c.account_id == accounts.c.id)
            .where(sa.func.lower(accounts.c.login_name) == login_name.lower())
        ).first()

    def get_agent(self, organization_id: uuid.UUID, person_id: uuid.UUID):
        return self.session.execute(
            sa.select(agents).where(
                agents.c.organization_id == organization_id,
                agents.c.person_id == person_id,
            )
        ).first()

    def count_active_agents(self, organization_id: uuid.UUID) -> int:
        return self.session.execute(
            sa.select(sa.func.count())
            .select_from(agents)
            .where(
                agents.c.organization_id == organization_id,
                agents.c.revoked_at.is_(None),
            )
        ).scalar_one()

    def grant_agent(
        self, organization_id: uuid.UUID, person_id: uuid.UUID, now: datetime
    ) -> bool:
        """Make the pair active: a new row, or a revoked one re-activated with a
        new ``granted_at``. False (and nothing changed) when it is already
        active; the primary key decides, so this holds under any race."""
        statement = pg_insert(agents).values(
            organization_id=organization_id,
            person_id=person_id,
            granted_at=now,
            revoked_at=None,
        )
        statement = statement.on_conflict_do_update(
            index_elements=[agents.c.organization_id, agents.c.person_id],
            set_={"granted_at": now, "revoked_at": None},
            where=agents.c.revoked_at.is_not(None),
        ).returning(agents.c.person_id)
        return self.session.execute(statement).first() is not None

    def revoke_agent(
        self, organization_id: uuid.UUID, person_id: uuid.UUID, now: datetime
    ) -> bool:
        """End an active designation; False when there is none."""
        result = self.session.execute(
            sa.update(agents)
            .where(
                agents.c.organization_id == organization_id,
                agents.c.person_id == person_id,
                agents.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return result.rowcount == 1

    def active_agents(self, organization_id: uuid.UUID) -> list[sa.Row]:
        """``(person_id, login_name, name, granted_at)``, oldest grant first."""
        return self.session.execute(
            sa.select(
                agents.c.person_id,
                accounts.c.login_name,
                persons.c.name,
                agents.c.granted_at,
            )
            .join(persons, persons.c.account_id == agents.c.person_id)
            .join(accounts, accounts.c.id == agents.c.person_id)
            .where(
                agents.c.organization_id == organization_id,
                agents.c.revoked_at.is_(None),
            )
            .order_by(agents.c.granted_at, accounts.c.login_name)
        ).all()

    def represented_organizations(self, person_id: uuid.UUID) -> list[sa.Row]:
        """``(organization_id, name, code_enc, granted_at)`` of the organisations
        the person is an active agent of, oldest grant first."""
        return self.session.execute(
            sa.select(
                agents.c.organization_id,
                organizations.c.name,
                organizations.c.code_enc,
                agents.c.granted_at,
            )
            .join(organizations, organizations.c.account_id == agents.c.organization_id)
            .where(agents.c.person_id == person_id, agents.c.revoked_at.is_(None))
            .order_by(agents.c.granted_at, organizations.c.name)
        ).all()

    def acts_for(self, person_id: uuid.UUID, organization_id: uuid.UUID) -> bool:
        """One autocommit read (single sign-on asks it on every entry)."""
        params = {"person_id": person_id, "organization_id": organization_id}
        return read_one(self.session, _ACTS_FOR, params) is not None
