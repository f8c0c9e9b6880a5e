"""the CAS 3.0 façade: service URLs of a business system, service tickets, renewals

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0005", "0004"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "clients",
        sa.Column("cas_services", sa.JSON, nullable=False, server_default="[]"),
    )
    op.create_table(
        "cas_tickets",
        sa.Column("ticket_hash", sa.String(64), primary_key=True),
        sa.Column("ticket_id", sa.String(40), nullable=False, unique=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(128), nullable=False),
        sa.Column("acting_for", sa.String(64), nullable=True),
        sa.Column("from_new_login", sa.Boolean, nullable=False),
        sa.Column("issued_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("validated_at", TIMESTAMP, nullable=True),
        sa.Column("session_index", sa.String(256), nullable=True),
        sa.Column("logged_out_at", TIMESTAMP, nullable=True),
    )
    op.create_index("ix_cas_tickets_session", "cas_tickets", ["session_id"])
    op.create_table(
        "cas_renewals",
        sa.Column("renewal_id", sa.String(40), primary_key=True),
        sa.Column("prior_session_id", sa.String(128), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("used_at", TIMESTAMP, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("cas_renewals")
    op.drop_index("ix_cas_tickets_session", "cas_tickets")
    op.drop_table("cas_tickets")
    op.drop_column("clients", "cas_services")
