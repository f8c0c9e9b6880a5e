"""appeals in the flows' record vocabulary, and their transition history

Renames ``appeals.appeal_id`` to ``id``, ``status`` to ``state`` and
``submitted_at`` to ``created_at`` (and ``from_status``/``to_status`` of the
decisions to ``from_state``/``to_state``), the names every flow of the platform
uses; renames keep the data and the foreign keys. Adds ``appeal_transitions`` (every
state change, as verification keeps its cases') and fills it for the appeals already
stored from what they recorded: the submission, the decision, the recovery.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)

# (table, old name, new name)
RENAMES = (
    ("appeals", "appeal_id", "id"),
    ("appeals", "status", "state"),
    ("appeals", "submitted_at", "created_at"),
    ("appeal_decisions", "from_status", "from_state"),
    ("appeal_decisions", "to_status", "to_state"),
)

# The history of the appeals stored before it was kept: submitted at creation, the
# reviewer's decision (its audit row), and recovered at the last update.
BACKFILL = (
    """
    INSERT INTO appeal_transitions (appeal_id, from_state, to_state, trigger, at)
    SELECT id, NULL, 'submitted', 'appeal_submitted', created_at FROM appeals
    """,
    """
    INSERT INTO appeal_transitions (appeal_id, from_state, to_state, trigger, at)
    SELECT appeal_id, from_state, to_state,
           CASE decision WHEN 'approve' THEN 'reviewer_approved'
                ELSE 'reviewer_rejected' END,
           decided_at
    FROM appeal_decisions ORDER BY id
    """,
    """
    INSERT INTO appeal_transitions (appeal_id, from_state, to_state, trigger, at)
    SELECT id, 'approved', 'recovered', 'password_sent', updated_at
    FROM appeals WHERE state = 'recovered'
    """,
)


def upgrade() -> None:
    for table, old, new in RENAMES:
        op.alter_column(table, old, new_column_name=new)
    op.drop_index("ix_appeals_status", table_name="appeals")
    op.create_index("ix_appeals_state", "appeals", ["state", "created_at"])
    op.create_table(
        "appeal_transitions",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "appeal_id", sa.String(40), sa.ForeignKey("appeals.id"), nullable=False
        ),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("trigger", sa.String(40), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
    )
    op.create_index(
        "ix_appeal_transitions_appeal", "appeal_transitions", ["appeal_id", "id"]
    )
    for statement in BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("appeal_transitions")
    op.drop_index("ix_appeals_state", table_name="appeals")
    for table, old, new in reversed(RENAMES):
        op.alter_column(table, new, new_column_name=old)
    op.create_index("ix_appeals_status", "appeals", ["status", "submitted_at"])
