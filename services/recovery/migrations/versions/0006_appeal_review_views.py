"""the audit of every reviewer's view of an appeal

``appeal_review_views``: who opened which appeal (its images and the claim), when,
and the request that did it; one row per view, written in the transaction that
reads the appeal's images (as verification's ``review_views``). 2026-12-06.
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0006", "0005"


def upgrade() -> None:
    op.create_table(
        "appeal_review_views",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "appeal_id", sa.String(40), sa.ForeignKey("appeals.id"), nullable=False
        ),
        sa.Column("reviewer_id", sa.String(64), nullable=False),
        sa.Column("viewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("correlation_id", sa.String(128), nullable=True),
    )
    op.create_index(
        "ix_appeal_review_views_appeal", "appeal_review_views", ["appeal_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_appeal_review_views_appeal", table_name="appeal_review_views")
    op.drop_table("appeal_review_views")
