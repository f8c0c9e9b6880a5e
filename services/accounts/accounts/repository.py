"""Every query of the accounts service: :class:`Repository`, the accounts, persons,
organisations and staff here; agents (``agent_queries``), imports
(``import_queries``) and recovery's look-ups (``recovery_queries``) beside.

The repository speaks in stored columns (ciphertexts and blind indexes): turning
personal data into those is ``personal_data.py``'s job. Callers own transactions
(``with repo.transaction(): ...``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from servicekit.database import read_one
from sqlalchemy.orm import Session

from accounts.agent_queries import AgentQueries
from accounts.duplicates import execute_unique
from accounts.import_queries import ImportQueries
from accounts.models import (
    accounts,
    organization_people,
    organizations,
    persons,
    staff_members,
)
from accounts.recovery_queries import RecoveryQueries

_LOGIN_NAME_TAKEN = sa.select(sa.literal(1)).where(
    sa.func.lower(accounts.c.login_name) == sa.bindparam("canonical")
)
_FIND_FOR_LOGIN = sa.select(
    accounts.c.id,
    accounts.c.kind,
    accounts.c.login_name,
    accounts.c.role,
    accounts.c.password_hash,
    accounts.c.must_change_password,
    accounts.c.temporary_password_expires_at,
    accounts.c.real_name_status,
    accounts.c.phone_index,
).where(sa.func.lower(accounts.c.login_name) == sa.bindparam("canonical"))


class Repository(AgentQueries, ImportQueries, RecoveryQueries):
    def __init__(self, session: Session):
        self.session = session

    def transaction(self):
        """A transaction; a nested one (savepoint) when one is already open."""
        if self.session.in_transaction():
            return self.session.begin_nested()
        return self.session.begin()

    # --- reads -----------------------------------------------------------------------

    def login_name_taken(self, login_name: str) -> bool:
        """Whether an account uses this name, compared case-insensitively."""
        canonical = {"canonical": login_name.lower()}
        return read_one(self.session, _LOGIN_NAME_TAKEN, canonical) is not None

    def find_for_login(self, login_name: str) -> sa.Row | None:
        return read_one(
            self.session, _FIND_FOR_LOGIN, {"canonical": login_name.lower()}
        )

    def get_account(
        self, account_id: uuid.UUID, for_update: bool = False
    ) -> sa.Row | None:
        query = sa.select(accounts).where(accounts.c.id == account_id)
        if for_update:
            query = query.with_for_update()
        return self.session.execute(query).first()

    def get_account_name(self, account_id: uuid.UUID, kind: str) -> str | None:
        """The name column of the account's person, organisation or staff row."""
        table = {"person": persons, "organization": organizations}.get(
            kind, staff_members
        )
        return self.session.scalar(
            sa.select(table.c.name).where(table.c.account_id == account_id)
        )

    def get_person(self, account_id: uuid.UUID) -> sa.Row | None:
        return self.session.execute(
            sa.select(persons).where(persons.c.account_id == account_id)
        ).first()

    def get_organization(self, account_id: uuid.UUID) -> sa.Row | None:
        return self.session.execute(
            sa.select(organizations).where(organizations.c.account_id == account_id)
        ).first()

    def get_organization_people(self, account_id: uuid.UUID) -> dict[str, sa.Row]:
        rows = self.session.execute(
            sa.select(organization_people).where(
                organization_people.c.organization_id == account_id
            )
        ).all()
        return {row.role: row for row in rows}

    def get_staff_member(self, account_id: uuid.UUID) -> sa.Row | None:
        return self.session.execute(
            sa.select(staff_members).where(staff_members.c.account_id == account_id)
        ).first()

    def person_document_registered(self, doc_number_index: str) -> bool:
        query = sa.select(sa.literal(1)).where(
            persons.c.doc_number_index == doc_number_index
        )
        return self.session.execute(query).first() is not None

    def organization_code_registered(self, code_index: str) -> bool:
        query = sa.select(sa.literal(1)).where(organizations.c.code_index == code_index)
        return self.session.execute(query).first() is not None

    # --- writes ----------------------------------------------------------------------

    def _insert(self, table: sa.Table, values: dict[str, Any]) -> None:
        """Insert now; a broken unique rule raises :class:`Duplicate`."""
        execute_unique(self.session, sa.insert(table).values(**values))

    def add_account(self, **values: Any) -> None:
        self._insert(accounts, values)

    def add_person(self, **values: Any) -> None:
        self._insert(persons, values)

    def add_organization(self, **values: Any) -> None:
        self._insert(organizations, values)

    def add_organization_person(self, **values: Any) -> None:
        self._insert(organization_people, values)

    def add_staff_member(self, **values: Any) -> None:
        self._insert(staff_members, values)

    def update_account(self, account_id: uuid.UUID, **values: Any) -> None:
        self.session.execute(
            sa.update(accounts).where(accounts.c.id == account_id).values(**values)
        )

    def _update(self, statement) -> None:
        """Update now; a broken unique rule (a corrected document or code that
        another account took meanwhile) raises :class:`Duplicate`."""
        execute_unique(self.session, statement)

    def update_person(self, account_id: uuid.UUID, **values: Any) -> None:
        self._update(
            sa.update(persons)
            .where(persons.c.account_id == account_id)
            .values(**values)
        )

    def update_organization_person(
        self, organization_id: uuid.UUID, role: str, **values: Any
    ) -> None:
        self.session.execute(
            sa.update(organization_people)
            .where(
                organization_people.c.organization_id == organization_id,
                organization_people.c.role == role,
            )
            .values(**values)
        )

    def update_organization(self, account_id: uuid.UUID, **values: Any) -> None:
        self._update(
            sa.update(organizations)
            .where(organizations.c.account_id == account_id)
            .values(**values)
        )

    def set_password_hash_if_unchanged(
        self, account_id: uuid.UUID, old_hash: str, new_hash: str
    ) -> bool:
        """Upgrade a hash, unless the password changed meanwhile (then do nothing)."""
        result = self.session.execute(
            sa.update(accounts)
            .where(accounts.c.id == account_id, accounts.c.password_hash == old_hash)
            .values(password_hash=new_hash)
        )
        return result.rowcount == 1

    def set_real_name_status(
        self,
        account_id: uuid.UUID,
        status: str,
        reason: str | None,
        occurred_at: datetime,
        now: datetime,
    ) -> bool:
        """Apply a verification outcome unless a newer change is already recorded.

        Returns False for an unknown account or a stale outcome (one that happened
        before the account's data last changed).
        """
        result = self.session.execute(
            sa.update(accounts)
            .where(
                accounts.c.id == account_id,
                accounts.c.real_name_changed_at <= occurred_at,
            )
            .values(
                real_name_status=status,
                real_name_reason=reason,
                real_name_changed_at=occurred_at,
                updated_at=now,
            )
        )
        return result.rowcount == 1
