"""agents: an index by person (the organisations a person acts for)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_agents_person_id", "agents", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_agents_person_id", table_name="agents")
