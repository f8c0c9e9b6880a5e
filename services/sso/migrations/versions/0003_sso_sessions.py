"""the SSO session registry and the back-channel logout work items

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from servicekit.migration_ops import create_work_items_table, drop_work_items_table

revision, down_revision = "0003", "0002"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_work_items_table(op)
    op.create_table(
        "session_entries",
        sa.Column("session_id", sa.String(128), primary_key=True),
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("entered_at", TIMESTAMP, nullable=False),
        sa.Column("logged_out_at", TIMESTAMP, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("session_entries")
    drop_work_items_table(op)
