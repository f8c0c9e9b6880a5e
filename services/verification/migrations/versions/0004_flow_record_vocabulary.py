"""the flows' record vocabulary: a case's id and state

Renames ``verification_cases.case_id`` to ``id`` and ``status`` to ``state`` (and
``from_status``/``to_status`` to ``from_state``/``to_state`` in the case history and
the review decisions), the names every flow of the platform uses. Renames keep the
data, the keys and the foreign keys pointing at the case.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# (table, old name, new name)
RENAMES = (
    ("verification_cases", "case_id", "id"),
    ("verification_cases", "status", "state"),
    ("verification_case_transitions", "from_status", "from_state"),
    ("verification_case_transitions", "to_status", "to_state"),
    ("review_decisions", "from_status", "from_state"),
    ("review_decisions", "to_status", "to_state"),
)


def upgrade() -> None:
    for table, old, new in RENAMES:
        op.alter_column(table, old, new_column_name=new)
    op.execute(
        "ALTER INDEX ix_verification_cases_status RENAME TO ix_verification_cases_state"
    )


def downgrade() -> None:
    op.execute(
        "ALTER INDEX ix_verification_cases_state RENAME TO ix_verification_cases_status"
    )
    for table, old, new in reversed(RENAMES):
        op.alter_column(table, new, new_column_name=old)
