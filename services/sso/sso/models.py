"""The sso database: business systems, authorization codes, tokens, signing keys,
the audit of released personal data, the outbox and processed events."""

import sqlalchemy as sa
from servicekit.flow_records import TIMESTAMP
from servicekit.idempotency import processed_events_table
from servicekit.outbox import outbox_table
from servicekit.workqueue import work_items_table

metadata = sa.MetaData()

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
work_items = work_items_table(metadata)

# One business system (an OAuth 2 / OIDC client). Lists are JSON arrays. The
# secret is kept as SHA-256 of a high-entropy random value (never in clear).
clients = sa.Table(
    "clients",
    metadata,
    sa.Column("client_id", sa.String(64), primary_key=True),
    sa.Column("secret_hash", sa.String(64), nullable=True),  # NULL: a public client
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
    # CAS 3.0 service URLs (matched exactly), for a system that speaks CAS
    sa.Column("cas_services", sa.JSON, nullable=False, server_default="[]"),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("created_at", TIMESTAMP, nullable=False),
    sa.Column("updated_at", TIMESTAMP, nullable=False),
    # private_key_jwt: the client's public JWKS (RFC 7517)
    sa.Column("jwks", sa.JSON, nullable=True),
)

# An authorization code, by the SHA-256 of its value: single use (redeemed_at set
# by the first redemption, atomically), short-lived (expires_at).
authorization_codes = sa.Table(
    "authorization_codes",
    metadata,
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
    sa.Column("acting_for", sa.String(64), nullable=True),  # an organisation's id
    # the user's claims taken at authorize (accounts asked then): the ID token's,
    # so the token request does not ask accounts again within the code's minute
    sa.Column("claims", sa.JSON, nullable=True),
    sa.Index("ix_authorization_codes_expires", "expires_at"),
)

# The jti of every private_key_jwt client assertion accepted, until it expires:
# an assertion is used once, across every copy (RFC 7523 §3, item 7).
client_assertions = sa.Table(
    "client_assertions",
    metadata,
    sa.Column("client_id", sa.String(64), primary_key=True),
    sa.Column("jti", sa.String(256), primary_key=True),
    sa.Column("expires_at", TIMESTAMP, nullable=False),
    sa.Index("ix_client_assertions_expires", "expires_at"),
)

# Every access token issued (by its jti): what userinfo checks, what a replayed
# code revokes.
tokens = sa.Table(
    "tokens",
    metadata,
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
    sa.Index("ix_tokens_code", "code_id"),
)

# The signing keys, shared by every copy. The private key is encrypted with the
# personal-data cipher (servicekit.crypto); a retired key stays published until
# publish_until, when no token it signed can still be live.
signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("kid", sa.String(40), primary_key=True),
    sa.Column("alg", sa.String(8), nullable=False),
    sa.Column("private_key_enc", sa.Text, nullable=False),
    sa.Column("public_jwk", sa.JSON, nullable=False),
    sa.Column("created_at", TIMESTAMP, nullable=False),
    sa.Column("retired_at", TIMESTAMP, nullable=True),
    sa.Column("publish_until", TIMESTAMP, nullable=True),
)

# The audit of every release of personal data to a business system.
releases = sa.Table(
    "releases",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("account_id", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),  # id_token | userinfo | cas
    sa.Column("claims", sa.JSON, nullable=False),  # the claim names released
    # personal data (phone, identity document) released: masked or in full;
    # NULL when the release held none
    sa.Column("masked", sa.Boolean, nullable=True),
    sa.Column("released_at", TIMESTAMP, nullable=False),
    sa.Column("correlation_id", sa.String(128), nullable=True),
    sa.Index("ix_releases_account", "account_id", "released_at"),
)

# An agent's answer before entering (as myself: organization_id NULL), bound to the
# portal session; consumed by the next authorization code of that session.
acting_choices = sa.Table(
    "acting_choices",
    metadata,
    sa.Column("choice_id", sa.String(40), primary_key=True),
    sa.Column("session_id", sa.String(128), nullable=False),
    sa.Column("account_id", sa.String(64), nullable=False),
    sa.Column("organization_id", sa.String(64), nullable=True),
    sa.Column("created_at", TIMESTAMP, nullable=False),
    sa.Column("expires_at", TIMESTAMP, nullable=False),
    sa.Column("used_at", TIMESTAMP, nullable=True),
)

# The SSO session registry: which business systems a portal session entered (one
# row per session and client, made when tokens are issued). A logout of the
# session sets logged_out_at once and fans out back-channel logout tokens.
# sid: the business system's opaque id of the portal session (random, so it
# tells nothing of the session id or the cookie). check_at: when to ask
# accounts again whether the session lives (sso.sessions: its expiry).
session_entries = sa.Table(
    "session_entries",
    metadata,
    sa.Column("session_id", sa.String(128), primary_key=True),
    sa.Column("client_id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(64), nullable=False),
    sa.Column("entered_at", TIMESTAMP, nullable=False),
    sa.Column("logged_out_at", TIMESTAMP, nullable=True),
    sa.Column("sid", sa.String(40), nullable=False),
    sa.Column("check_at", TIMESTAMP, nullable=True),
    sa.Column("end_reason", sa.String(24), nullable=True),
    sa.UniqueConstraint("sid", name="uq_session_entries_sid"),
    sa.Index("ix_session_entries_account", "account_id"),
    sa.Index(
        "ix_session_entries_check",
        "check_at",
        postgresql_where=sa.text("logged_out_at IS NULL"),
    ),
)

# CAS 3.0 service tickets, by the SHA-256 of the ticket: single use (validated_at
# set by the first validation, atomically), at most 10 s, bound to the service URL
# and the portal session. session_index is the ticket itself, kept only once it is
# spent, for the CAS single logout request (its SessionIndex).
cas_tickets = sa.Table(
    "cas_tickets",
    metadata,
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
    sa.Index("ix_cas_tickets_session", "session_id"),
)

# A login asked for (CAS renew): met by a portal session other than the one the
# browser had when it was asked (a new login), once.
cas_renewals = sa.Table(
    "cas_renewals",
    metadata,
    sa.Column("renewal_id", sa.String(40), primary_key=True),
    sa.Column("prior_session_id", sa.String(128), nullable=True),
    sa.Column("created_at", TIMESTAMP, nullable=False),
    sa.Column("expires_at", TIMESTAMP, nullable=False),
    sa.Column("used_at", TIMESTAMP, nullable=True),
)
