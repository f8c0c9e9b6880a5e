"""the audit of every reviewer's view of a case

``review_views``: who opened which case (its images and the claimed identity),
when, and the request that did it; one row per view, written with the read.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_views",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "case_id",
            sa.String(40),
            sa.ForeignKey("verification_cases.id"),
            nullable=False,
        ),
        sa.Column("reviewer_id", sa.String(64), nullable=False),
        sa.Column("viewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("correlation_id", sa.String(128), nullable=True),
    )
    op.create_index("ix_review_views_case", "review_views", ["case_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_review_views_case", table_name="review_views")
    op.drop_table("review_views")
