"""sid per session entry, when to check the session's expiry, why it ended;
whether a release of personal data was masked

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0004", "0003"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("session_entries", sa.Column("sid", sa.String(40), nullable=True))
    # entries made before: a random sid each
    op.execute(
        "UPDATE session_entries SET sid = 'sid_' || md5(random()::text || session_id "
        "|| client_id) WHERE sid IS NULL"
    )
    op.alter_column("session_entries", "sid", nullable=False)
    op.create_unique_constraint("uq_session_entries_sid", "session_entries", ["sid"])
    op.add_column("session_entries", sa.Column("check_at", TIMESTAMP, nullable=True))
    op.add_column(
        "session_entries", sa.Column("end_reason", sa.String(24), nullable=True)
    )
    # entries still open: checked at the first sweep
    op.execute(
        "UPDATE session_entries SET check_at = now() WHERE logged_out_at IS NULL"
    )
    op.create_index("ix_session_entries_account", "session_entries", ["account_id"])
    op.create_index(
        "ix_session_entries_check",
        "session_entries",
        ["check_at"],
        postgresql_where=sa.text("logged_out_at IS NULL"),
    )
    op.add_column("releases", sa.Column("masked", sa.Boolean, nullable=True))


def downgrade() -> None:
    op.drop_column("releases", "masked")
    op.drop_index("ix_session_entries_check", table_name="session_entries")
    op.drop_index("ix_session_entries_account", table_name="session_entries")
    op.drop_column("session_entries", "end_reason")
    op.drop_column("session_entries", "check_at")
    op.drop_constraint("uq_session_entries_sid", "session_entries", type_="unique")
    op.drop_column("session_entries", "sid")
