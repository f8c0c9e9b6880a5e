"""the unit's code and every candidate of an organisation appeal

An organisation appeal took the oldest organisation with the unit's name (issue 12,
finding 7). The look-up now asks for the credit code (or registration number) and
keeps every organisation the appeal could be about for the reviewer:
``appeals.unit_code_kind`` and ``unit_code_enc`` (the code, encrypted, kind
``unit_code``) and ``candidates_enc`` (the candidates as accounts answered them,
masked, one encrypted JSON value, kind ``appeal_candidates``). Appeals stored
before have none: approving one names its account explicitly. 2026-12-06.
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0005", "0004"


def upgrade() -> None:
    op.add_column("appeals", sa.Column("unit_code_kind", sa.String(24), nullable=True))
    op.add_column("appeals", sa.Column("unit_code_enc", sa.Text, nullable=True))
    op.add_column("appeals", sa.Column("candidates_enc", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("appeals", "candidates_enc")
    op.drop_column("appeals", "unit_code_enc")
    op.drop_column("appeals", "unit_code_kind")
