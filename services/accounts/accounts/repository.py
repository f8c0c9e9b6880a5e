"""Every query of the accounts service.

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
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts.models import (
    accounts,
    agents,
    legacy_origins,
    organization_people,
    organizations,
    persons,
    staff_members,
)

_ACTS_FOR = sa.select(sa.literal(1)).where(
    agents.c.person_id == sa.bindparam("person_id"),
    agents.c.organization_id == sa.bindparam("organization_id"),
    agents.c.revoked_at.is_(None),
)

# Which unique constraint a duplicate broke, to answer with the right field error.
CONSTRAINT_FIELDS = {
    "ux_accounts_login_name": "login_name",
    "ux_persons_doc_number_index": "doc_number",
    "ux_organizations_code_index": "code",
    "ux_legacy_origins_source_legacy_id": "legacy_id",
}


class Duplicate(Exception):
    """An insert broke a unique constraint; ``field`` names which one."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


def duplicate_from(error: IntegrityError) -> Duplicate | None:
    constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
    field = CONSTRAINT_FIELDS.get(constraint or "")
    return Duplicate(field) if field else None


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


class Repository:
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
        try:
            self.session.execute(sa.insert(table).values(**values))
        except IntegrityError as error:
            duplicate = duplicate_from(error)
            if duplicate is None:
                raise
            raise duplicate from None

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
        try:
            self.session.execute(statement)
        except IntegrityError as error:
            duplicate = duplicate_from(error)
            if duplicate is None:
                raise
            raise duplicate from None

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

    # --- agents ----------------------------------------------------------------------

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

    # --- accounts imported from former systems (legacy_import) ------------------------

    def get_legacy_origin(self, account_id: uuid.UUID) -> sa.Row | None:
        return self.session.execute(
            sa.select(legacy_origins).where(legacy_origins.c.account_id == account_id)
        ).first()

    def imported_legacy_ids(self, source_system: str, legacy_ids: list[str]) -> set:
        """The ids among ``legacy_ids`` already imported from ``source_system``."""
        return set(
            self.session.execute(
                sa.select(legacy_origins.c.legacy_id).where(
                    legacy_origins.c.source_system == source_system,
                    legacy_origins.c.legacy_id.in_(legacy_ids),
                )
            ).scalars()
        )

    def taken_login_names(self, canonical_names: list[str]) -> set[str]:
        """The lower-cased names among ``canonical_names`` an account uses."""
        lowered = sa.func.lower(accounts.c.login_name)
        return set(
            self.session.execute(
                sa.select(lowered).where(lowered.in_(canonical_names))
            ).scalars()
        )

    def registered_document_indexes(self, indexes: list[str]) -> set[str]:
        column = persons.c.doc_number_index
        query = sa.select(column).where(column.in_(indexes))
        return set(self.session.execute(query).scalars())

    def registered_code_indexes(self, indexes: list[str]) -> set[str]:
        column = organizations.c.code_index
        query = sa.select(column).where(column.in_(indexes))
        return set(self.session.execute(query).scalars())

    def add_imported(self, rows: dict[sa.Table, list[dict[str, Any]]]) -> None:
        """Insert many rows per table, in the order given; a broken unique rule
        raises :class:`Duplicate`. ``RETURNING`` makes SQLAlchemy send multi-row
        ``INSERT ... VALUES`` batches ("insertmanyvalues"; a plain executemany
        costs a round trip per row)."""
        try:
            for table, values in rows.items():
                if values:
                    key = list(table.primary_key.columns)
                    self.session.execute(sa.insert(table).returning(*key), values)
        except IntegrityError as error:
            duplicate = duplicate_from(error)
            if duplicate is None:
                raise
            raise duplicate from None

    # --- recovery --------------------------------------------------------------------

    def find_for_recovery(self, login_name: str) -> sa.Row | None:
        """One query for a known and an unknown name alike (recovery's timing)."""
        query = sa.select(accounts.c.id, accounts.c.kind, accounts.c.phone_enc).where(
            sa.func.lower(accounts.c.login_name) == login_name.lower()
        )
        return self.session.execute(query).first()

    def reserved_phone_index(self, account_id: uuid.UUID) -> str | None:
        return self.session.execute(
            sa.select(accounts.c.phone_index).where(accounts.c.id == account_id)
        ).scalar()

    def find_person_by_document(self, doc_number_index: str) -> sa.Row | None:
        return self.session.execute(
            sa.select(accounts.c.id, accounts.c.login_name, persons.c.name)
            .join(persons, persons.c.account_id == accounts.c.id)
            .where(persons.c.doc_number_index == doc_number_index)
        ).first()

    def organizations_for_appeal(
        self, name: str, code_indexes: list[str], limit: int
    ) -> list[sa.Row]:
        """The organisations an appeal could be about: the one holding one of
        ``code_indexes`` first, then every one registered under exactly ``name``
        (oldest first), at most ``limit`` rows. Each row carries what a reviewer
        compares: name, code, legal representative, main agent's phone,
        registration date, verification status."""
        legal = organization_people.alias("legal")
        agent = organization_people.alias("agent")
        code_match = organizations.c.code_index.in_(code_indexes)
        query = (
            sa.select(
                accounts.c.id,
                accounts.c.login_name,
                accounts.c.created_at,
                accounts.c.real_name_status,
                organizations.c.name,
                organizations.c.code_kind,
                organizations.c.code_enc,
                code_match.label("code_matches"),
                legal.c.name.label("legal_representative"),
                agent.c.phone_enc.label("main_agent_phone_enc"),
            )
            .join(organizations, organizations.c.account_id == accounts.c.id)
            .outerjoin(
                legal,
                sa.and_(
                    legal.c.organization_id == accounts.c.id,
                    legal.c.role == "legal_representative",
                ),
            )
            .outerjoin(
                agent,
                sa.and_(
                    agent.c.organization_id == accounts.c.id,
                    agent.c.role == "main_agent",
                ),
            )
            .where(sa.or_(code_match, organizations.c.name == name))
            .order_by(code_match.desc(), accounts.c.created_at, accounts.c.id)
            .limit(limit)
        )
        return list(self.session.execute(query).all())
