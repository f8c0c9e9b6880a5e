"""private_key_jwt clients (their public JWKS, the assertions' jti used once) and
the claims snapshot an authorization code keeps for its ID token

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0006", "0005"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("clients", sa.Column("jwks", sa.JSON, nullable=True))
    op.add_column("authorization_codes", sa.Column("claims", sa.JSON, nullable=True))
    op.create_table(
        "client_assertions",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("jti", sa.String(256), primary_key=True),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_client_assertions_expires", "client_assertions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("client_assertions")
    op.drop_column("authorization_codes", "claims")
    op.drop_column("clients", "jwks")
