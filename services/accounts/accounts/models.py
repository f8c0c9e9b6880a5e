"""The accounts database: its tables, including the outbox and processed events.

No document number, phone or telephone is stored in plain text: each is kept as
``*_enc`` (``servicekit.crypto`` AES-GCM, key id inside) and, where it must be
unique or looked up, ``*_index`` (keyed HMAC blind index).
"""

import sqlalchemy as sa
from contracts.accounts.fields import REAL_NAME_STATUSES
from servicekit.idempotency import processed_events_table
from servicekit.outbox import outbox_table
from sqlalchemy.dialects.postgresql import UUID

metadata = sa.MetaData()

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)

ACCOUNT_KINDS = ("person", "organization", "staff")
ROLES = ("user", "reviewer")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


TIMESTAMP = sa.DateTime(timezone=True)
INDEX = sa.String(64)  # hex HMAC-SHA256


def _part_of(parent: str, name: str) -> sa.Column:
    """A primary-key column naming the row this one belongs to (``parent`` is
    ``table.column``): the row is deleted with its parent."""
    return sa.Column(
        name,
        UUID(as_uuid=True),
        sa.ForeignKey(parent, ondelete="CASCADE"),
        primary_key=True,
    )


accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("login_name", sa.String(32), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.String(16), nullable=False, server_default="user"),
    sa.Column(
        "must_change_password", sa.Boolean, nullable=False, server_default=sa.false()
    ),
    sa.Column("temporary_password_expires_at", TIMESTAMP, nullable=True),
    sa.Column("password_changed_at", TIMESTAMP, nullable=False),
    # The reserved phone: a person's mobile, an organisation's main agent's mobile.
    sa.Column("phone_enc", sa.Text, nullable=True),
    sa.Column("phone_index", INDEX, nullable=True),
    sa.Column(
        "real_name_status", sa.String(16), nullable=False, server_default="unverified"
    ),
    sa.Column("real_name_reason", sa.Text, nullable=True),
    # When the status last changed (the occurred_at of the event that changed it):
    # an outcome older than this is stale and ignored.
    sa.Column("real_name_changed_at", TIMESTAMP, nullable=False),
    sa.Column("agreement_version", sa.String(32), nullable=True),
    sa.Column("agreement_accepted_at", TIMESTAMP, nullable=True),
    sa.Column("created_at", TIMESTAMP, nullable=False),
    sa.Column("updated_at", TIMESTAMP, nullable=False),
    sa.CheckConstraint(_one_of("kind", ACCOUNT_KINDS), name="ck_accounts_kind"),
    sa.CheckConstraint(_one_of("role", ROLES), name="ck_accounts_role"),
    sa.CheckConstraint(
        _one_of("real_name_status", REAL_NAME_STATUSES),
        name="ck_accounts_real_name_status",
    ),
)
# Login names are unique across persons and organisations, case-insensitively.
sa.Index("ux_accounts_login_name", sa.func.lower(accounts.c.login_name), unique=True)
sa.Index("ix_accounts_phone_index", accounts.c.phone_index)

persons = sa.Table(
    "persons",
    metadata,
    _part_of("accounts.id", "account_id"),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("identity_region", sa.String(16), nullable=False),
    sa.Column("doc_type", sa.String(32), nullable=False),
    sa.Column("doc_number_enc", sa.Text, nullable=False),
    # A document number backs one person account.
    sa.Column("doc_number_index", INDEX, nullable=False),
    sa.Column("gender", sa.String(8), nullable=True),
    sa.Column("birth_date", sa.Date, nullable=True),
    sa.Column("ethnicity", sa.String(32), nullable=True),
    sa.Column("title", sa.String(100), nullable=True),
    sa.Column("email", sa.String(254), nullable=True),
    sa.Column("telephone_enc", sa.Text, nullable=True),
    sa.UniqueConstraint("doc_number_index", name="ux_persons_doc_number_index"),
)

organizations = sa.Table(
    "organizations",
    metadata,
    _part_of("accounts.id", "account_id"),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("name_en", sa.String(200), nullable=True),
    sa.Column("short_name", sa.String(100), nullable=True),
    sa.Column("homepage", sa.String(300), nullable=True),
    sa.Column("area", sa.String(100), nullable=True),
    sa.Column("region", sa.String(16), nullable=False),
    sa.Column("legal_person_type", sa.String(16), nullable=False),
    # credit_code (domestic) or registration_number (other jurisdictions)
    sa.Column("code_kind", sa.String(24), nullable=False),
    sa.Column("code_enc", sa.Text, nullable=False),
    # A credit code (or registration number) backs one organisation account.
    sa.Column("code_index", INDEX, nullable=False),
    sa.UniqueConstraint("code_index", name="ux_organizations_code_index"),
)

# The legal representative and the main agent of an organisation.
organization_people = sa.Table(
    "organization_people",
    metadata,
    _part_of("organizations.account_id", "organization_id"),
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
        _one_of("role", ("legal_representative", "main_agent")),
        name="ck_organization_people_role",
    ),
    sa.CheckConstraint(
        "doc_long_term OR doc_valid_to IS NOT NULL",
        name="ck_organization_people_validity",
    ),
)
sa.Index(
    "ix_organization_people_doc_number_index", organization_people.c.doc_number_index
)

# Natural-person accounts an organisation designated as its agents (flow 7). One
# row per pair: a revocation sets revoked_at, designating again clears it (a new
# granted_at), so the primary key alone keeps a pair from being granted twice.
agents = sa.Table(
    "agents",
    metadata,
    _part_of("organizations.account_id", "organization_id"),
    _part_of("persons.account_id", "person_id"),
    sa.Column("granted_at", TIMESTAMP, nullable=False),
    sa.Column("revoked_at", TIMESTAMP, nullable=True),
)
# "Which organisations does this person act for" (my organisations, acts_for) reads
# by person; the primary key serves the organisation's side.
sa.Index("ix_agents_person_id", agents.c.person_id)

# Platform staff (reviewers): created by an operator with the accounts CLI.
staff_members = sa.Table(
    "staff_members",
    metadata,
    _part_of("accounts.id", "account_id"),
    sa.Column("name", sa.String(100), nullable=False),
)

LEGACY_SOURCE_SYSTEMS = ("programme_centre", "hgr_approval")

# Accounts imported from a former system (product.md flow 10), one row each: where
# it came from (the pair is what makes an import idempotent) and when. The former
# system's password hash is not here: it is the account's ``password_hash`` with
# the ``legacy:`` marker (accounts.passwords), replaced at the first good login.
legacy_origins = sa.Table(
    "legacy_origins",
    metadata,
    _part_of("accounts.id", "account_id"),
    sa.Column("source_system", sa.String(32), nullable=False),
    sa.Column("legacy_id", sa.String(64), nullable=False),
    sa.Column("imported_at", TIMESTAMP, nullable=False),
    # An organisation's main agent's mobile as the former system had it: never
    # proven here, so never the reserved phone (no SMS recovery until proven).
    sa.Column("claimed_phone_enc", sa.Text, nullable=True),
    sa.CheckConstraint(
        _one_of("source_system", LEGACY_SOURCE_SYSTEMS),
        name="ck_legacy_origins_source_system",
    ),
    sa.UniqueConstraint(
        "source_system", "legacy_id", name="ux_legacy_origins_source_legacy_id"
    ),
)
