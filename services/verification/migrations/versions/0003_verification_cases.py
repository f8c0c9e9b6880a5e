"""verification cases, transitions, materials, review decisions and work items

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from servicekit.migration_ops import create_work_items_table, drop_work_items_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_work_items_table(op)
    op.create_table(
        "verification_cases",
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("account_kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason_code", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("opened_by_event", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("correlation_id", sa.String(128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_verification_cases_account",
        "verification_cases",
        ["account_id", "requested_at"],
    )
    op.create_index(
        "ix_verification_cases_status", "verification_cases", ["status", "submitted_at"]
    )
    op.create_table(
        "verification_case_transitions",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "case_id",
            sa.String(40),
            sa.ForeignKey("verification_cases.case_id"),
            nullable=False,
        ),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("trigger", sa.String(40), nullable=False),
        sa.Column("reason_code", sa.String(64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_verification_case_transitions_case",
        "verification_case_transitions",
        ["case_id", "id"],
    )
    op.create_table(
        "verification_materials",
        sa.Column(
            "case_id",
            sa.String(40),
            sa.ForeignKey("verification_cases.case_id"),
            primary_key=True,
        ),
        sa.Column("field", sa.String(20), primary_key=True),
        sa.Column("media_type", sa.String(20), nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "review_decisions",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "case_id",
            sa.String(40),
            sa.ForeignKey("verification_cases.case_id"),
            nullable=False,
        ),
        sa.Column("reviewer_id", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("from_status", sa.String(20), nullable=False),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("correlation_id", sa.String(128), nullable=True),
    )
    op.create_index("ix_review_decisions_case", "review_decisions", ["case_id"])


def downgrade() -> None:
    op.drop_table("review_decisions")
    op.drop_table("verification_materials")
    op.drop_table("verification_case_transitions")
    op.drop_table("verification_cases")
    drop_work_items_table(op)
