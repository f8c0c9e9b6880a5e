"""Which unique rule an insert or update broke, as :class:`Duplicate` naming the
field, so a use case answers with the right field error.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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


def execute_unique(session: Session, statement: Any, params: Any = None) -> Any:
    """Execute now; a broken unique rule raises :class:`Duplicate` (any other
    integrity error as it is)."""
    try:
        return session.execute(statement, params)
    except IntegrityError as error:
        duplicate = duplicate_from(error)
        if duplicate is None:
            raise
        raise duplicate from None
