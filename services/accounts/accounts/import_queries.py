"""The queries of importing the former systems' accounts (``legacy_import``): which
keys a batch finds taken, the multi-row insert. Part of
:class:`accounts.repository.Repository`.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from accounts.duplicates import execute_unique
from accounts.models import accounts, legacy_origins, organizations, persons


class ImportQueries:
    session: Session

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
        for table, values in rows.items():
            if values:
                key = list(table.primary_key.columns)
                execute_unique(self.session, sa.insert(table).returning(*key), values)
