"""accounts, persons, organisations, their people, agents and staff

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
INDEX = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("login_name", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False, server_default="user"),
        sa.Column(
            "must_change_password",
            sa.Boolean,
            nullable=False,
            server_default=sa.false(),
        ),
        sa.Column("temporary_password_expires_at", TIMESTAMP, nullable=True),
        sa.Column("password_changed_at", TIMESTAMP, nullable=False),
        sa.Column("phone_enc", sa.Text, nullable=True),
        sa.Column("phone_index", INDEX, nullable=True),
        sa.Column(
            "real_name_status",
            sa.String(16),
            nullable=False,
            server_default="unverified",
        ),
        sa.Column("real_name_reason", sa.Text, nullable=True),
        sa.Column("real_name_changed_at", TIMESTAMP, nullable=False),
        sa.Column("agreement_version", sa.String(32), nullable=True),
        sa.Column("agreement_accepted_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "kind IN ('person', 'organization', 'staff')", name="ck_accounts_kind"
        ),
        sa.CheckConstraint("role IN ('user', 'reviewer')", name="ck_accounts_role"),
        sa.CheckConstraint(
            "real_name_status IN ('unverified', 'pending', 'passed', 'failed', "
            "'manual_review', 'rejected')",
            name="ck_accounts_real_name_status",
        ),
    )
    op.create_index(
        "ux_accounts_login_name",
        "accounts",
        [sa.text("lower(login_name)")],
        unique=True,
    )
    op.create_index("ix_accounts_phone_index", "accounts", ["phone_index"])

    op.create_table(
        "persons",
        sa.Column(
            "account_id",
            UUID(as_uuid=True),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("identity_region", sa.String(16), nullable=False),
        sa.Column("doc_type", sa.String(32), nullable=False),
        sa.Column("doc_number_enc", sa.Text, nullable=False),
        sa.Column("doc_number_index", INDEX, nullable=False),
        sa.Column("gender", sa.String(8), nullable=True),
        sa.Column("birth_date", sa.Date, nullable=True),
        sa.Column("ethnicity", sa.String(32), nullable=True),
        sa.Column("title", sa.String(100), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("telephone_enc", sa.Text, nullable=True),
        sa.UniqueConstraint("doc_number_index", name="ux_persons_doc_number_index"),
    )

    op.create_table(
        "organizations",
        sa.Column(
            "account_id",
            UUID(as_uuid=True),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=True),
        sa.Column("short_name", sa.String(100), nullable=True),
        sa.Column("homepage", sa.String(300), nullable=True),
        sa.Column("area", sa.String(100), nullable=True),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("legal_person_type", sa.String(16), nullable=False),
        sa.Column("code_kind", sa.String(24), nullable=False),
        sa.Column("code_enc", sa.Text, nullable=False),
        sa.Column("code_index", INDEX, nullable=False),
        sa.UniqueConstraint("code_index", name="ux_organizations_code_index"),
    )

    op.create_table(
        "organization_people",
        sa.Column(
            "organization_id",
            UUID(as_uuid=True),
            sa.ForeignKey("organizations.account_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("role", sa.String(24), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("phone_enc", sa.Text, nullable=False),
        sa.Column("phone_index", INDEX, nullable=False),
        sa.Column("identity_region", sa.String(16), nullable=False),
        sa.Column("doc_type", sa.String(32), nullable=False),
        sa.Column("doc_number_enc", sa.Text, nullable=False),
        sa.Column("doc_number_index", INDEX, nullable=False),
        sa.Column("doc_valid_from", sa.Date, nullable=False),
        sa.Column("doc_valid_to", sa.Date, nullable=True),
        sa.Column("doc_long_term", sa.Boolean, nullable=False),
        sa.CheckConstraint(
            "role IN ('legal_representative', 'main_agent')",
            name="ck_organization_people_role",
        ),
        sa.CheckConstraint(
            "doc_long_term OR doc_valid_to IS NOT NULL",
            name="ck_organization_people_validity",
        ),
    )
    op.create_index(
        "ix_organization_people_doc_number_index",
        "organization_people",
        ["doc_number_index"],
    )

    op.create_table(
        "agents",
        sa.Column(
            "organization_id",
            UUID(as_uuid=True),
            sa.ForeignKey("organizations.account_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "person_id",
            UUID(as_uuid=True),
            sa.ForeignKey("persons.account_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("granted_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
    )

    op.create_table(
        "staff_members",
        sa.Column(
            "account_id",
            UUID(as_uuid=True),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(100), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff_members")
    op.drop_table("agents")
    op.drop_index("ix_organization_people_doc_number_index", "organization_people")
    op.drop_table("organization_people")
    op.drop_table("organizations")
    op.drop_table("persons")
    op.drop_index("ix_accounts_phone_index", "accounts")
    op.drop_index("ux_accounts_login_name", "accounts")
    op.drop_table("accounts")
