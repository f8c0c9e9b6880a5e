"""appeals, their files and decisions, and work items

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from servicekit.migration_ops import create_work_items_table, drop_work_items_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_work_items_table(op)
    op.create_table(
        "appeals",
        sa.Column("appeal_id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("ticket_hash", sa.String(64), nullable=False),
        sa.Column("name_enc", sa.Text, nullable=False),
        sa.Column("identity_region", sa.String(16), nullable=True),
        sa.Column("doc_type", sa.String(32), nullable=True),
        sa.Column("doc_number_enc", sa.Text, nullable=True),
        sa.Column("unit_name_enc", sa.Text, nullable=True),
        sa.Column("phone_enc", sa.Text, nullable=False),
        sa.Column("matched_account_id", sa.String(64), nullable=True),
        sa.Column("matched_login_name", sa.String(64), nullable=True),
        sa.Column("name_matches", sa.Boolean, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("correlation_id", sa.String(128), nullable=True),
        sa.Column("submitted_at", TIMESTAMP, nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_appeals_status", "appeals", ["status", "submitted_at"])
    op.create_table(
        "appeal_files",
        sa.Column(
            "appeal_id",
            sa.String(40),
            sa.ForeignKey("appeals.appeal_id"),
            primary_key=True,
        ),
        sa.Column("field", sa.String(20), primary_key=True),
        sa.Column("media_type", sa.String(20), nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "appeal_decisions",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "appeal_id",
            sa.String(40),
            sa.ForeignKey("appeals.appeal_id"),
            nullable=False,
        ),
        sa.Column("reviewer_id", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("from_status", sa.String(20), nullable=False),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=False),
        sa.Column("correlation_id", sa.String(128), nullable=True),
    )
    op.create_index("ix_appeal_decisions_appeal", "appeal_decisions", ["appeal_id"])


def downgrade() -> None:
    op.drop_table("appeal_decisions")
    op.drop_table("appeal_files")
    op.drop_table("appeals")
    drop_work_items_table(op)
