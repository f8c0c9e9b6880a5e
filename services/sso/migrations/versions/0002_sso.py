"""business systems, authorization codes, tokens, signing keys, released data

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0002", "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "clients",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("secret_hash", sa.String(64), nullable=True),
        sa.Column("token_endpoint_auth_method", sa.String(32), nullable=False),
        sa.Column("redirect_uris", sa.JSON, nullable=False),
        sa.Column("post_logout_redirect_uris", sa.JSON, nullable=False),
        sa.Column("backchannel_logout_uri", sa.Text, nullable=True),
        sa.Column("initiate_login_uri", sa.Text, nullable=True),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("account_kinds", sa.JSON, nullable=False),
        sa.Column("require_real_name", sa.Boolean, nullable=False),
        sa.Column("personal_data_allowed", sa.Boolean, nullable=False),
        sa.Column("id_token_alg", sa.String(8), nullable=False),
        sa.Column("name_zh", sa.Text, nullable=False),
        sa.Column("name_en", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("icon", sa.Text, nullable=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("code_id", sa.String(40), nullable=False, unique=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("redirect_uri", sa.Text, nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(128), nullable=False),
        sa.Column("auth_time", sa.BigInteger, nullable=True),
        sa.Column("nonce", sa.Text, nullable=True),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("code_challenge_method", sa.String(8), nullable=False),
        sa.Column("issued_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("redeemed_at", TIMESTAMP, nullable=True),
        sa.Column("tokens_issued_at", TIMESTAMP, nullable=True),
        sa.Column("acting_for", sa.String(64), nullable=True),
    )
    op.create_index(
        "ix_authorization_codes_expires", "authorization_codes", ["expires_at"]
    )
    op.create_table(
        "tokens",
        sa.Column("jti", sa.String(40), primary_key=True),
        sa.Column("code_id", sa.String(40), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(128), nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("issued_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("acting_for", sa.String(64), nullable=True),
    )
    op.create_index("ix_tokens_code", "tokens", ["code_id"])
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(40), primary_key=True),
        sa.Column("alg", sa.String(8), nullable=False),
        sa.Column("private_key_enc", sa.Text, nullable=False),
        sa.Column("public_jwk", sa.JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("retired_at", TIMESTAMP, nullable=True),
        sa.Column("publish_until", TIMESTAMP, nullable=True),
    )
    op.create_table(
        "releases",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("claims", sa.JSON, nullable=False),
        sa.Column("released_at", TIMESTAMP, nullable=False),
        sa.Column("correlation_id", sa.String(128), nullable=True),
    )
    op.create_index("ix_releases_account", "releases", ["account_id", "released_at"])
    op.create_table(
        "acting_choices",
        sa.Column("choice_id", sa.String(40), primary_key=True),
        sa.Column("session_id", sa.String(128), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("organization_id", sa.String(64), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("used_at", TIMESTAMP, nullable=True),
    )


def downgrade() -> None:
    for table in (
        "acting_choices",
        "releases",
        "signing_keys",
        "tokens",
        "authorization_codes",
    ):
        op.drop_table(table)
    op.drop_table("clients")
