"""The queries recovery's look-ups need (``recovery_lookups``): an account by login
name or document, its reserved phone, the organisations an appeal could be about.
Part of :class:`accounts.repository.Repository`.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from accounts.models import accounts, organization_people, organizations, persons


class RecoveryQueries:
    session: Session

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
