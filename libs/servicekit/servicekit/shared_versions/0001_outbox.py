"""outbox and processed events

The first revision of every service database (accounts, verification, recovery): the
kit's own tables, so it lives with the kit and each service's alembic.ini lists this
folder in ``version_locations`` (``servicekit:shared_versions``). Each database keeps its
own ``alembic_version``, so one file serves all three; a service's later revisions start
from it (``down_revision = "0001"``).

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from alembic import op
from servicekit.migration_ops import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op)


def downgrade() -> None:
    drop_messaging_tables(op)
