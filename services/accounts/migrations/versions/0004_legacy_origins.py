"""legacy_origins: accounts imported from the former systems

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "legacy_origins",
        sa.Column(
            "account_id",
            UUID(as_uuid=True),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("source_system", sa.String(32), nullable=False),
        sa.Column("legacy_id", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_phone_enc", sa.Text, nullable=True),
        sa.CheckConstraint(
            "source_system IN ('programme_centre', 'hgr_approval')",
            name="ck_legacy_origins_source_system",
        ),
        sa.UniqueConstraint(
            "source_system", "legacy_id", name="ux_legacy_origins_source_legacy_id"
        ),
    )


def downgrade() -> None:
    op.drop_table("legacy_origins")
