"""The verification database: its tables, including the outbox and processed events."""

import sqlalchemy as sa
from servicekit.idempotency import processed_events_table
from servicekit.outbox import outbox_table
from servicekit.workqueue import work_items_table

metadata = sa.MetaData()

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
work_items = work_items_table(metadata)

# Event-path canaries that arrived from accounts (operators' end-to-end probe).
pipeline_canaries = sa.Table(
    "pipeline_canaries",
    metadata,
    sa.Column("canary_id", sa.String(36), primary_key=True),
    sa.Column("correlation_id", sa.String(128), nullable=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)


def case_ref(**options: bool) -> sa.Column:
    """The column that ties a row (a transition, a material, a decision) to its case."""
    return sa.Column(
        "case_id", sa.String(40), sa.ForeignKey("verification_cases.id"), **options
    )


# One verification of one account's data (flow.CaseState), in the flows' record
# vocabulary (id, state, created_at, updated_at). The public case id is the id
# itself ("vrf_" + 32 hex), so reviewers and the gateway route by prefix.
cases = sa.Table(
    "verification_cases",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("account_id", sa.String(64), nullable=False),
    sa.Column("account_kind", sa.String(20), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("reason_code", sa.String(64), nullable=True),
    # the reviewer's words on a decision (shown to the user on a rejection)
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("opened_by_event", sa.String(64), nullable=False),
    # when the fact that opened the case happened (orders cases of one account)
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("correlation_id", sa.String(128), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_verification_cases_account", "account_id", "requested_at"),
    sa.Index("ix_verification_cases_state", "state", "submitted_at"),
)

# Every state change of every case (the history /me/verification shows).
case_transitions = sa.Table(
    "verification_case_transitions",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    case_ref(nullable=False),
    sa.Column("from_state", sa.String(20), nullable=True),
    sa.Column("to_state", sa.String(20), nullable=False),
    sa.Column("trigger", sa.String(40), nullable=False),
    sa.Column("reason_code", sa.String(64), nullable=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_verification_case_transitions_case", "case_id", "id"),
)

# Uploaded images, re-encoded and encrypted (AES-GCM, aad binds case and field).
materials = sa.Table(
    "verification_materials",
    metadata,
    case_ref(primary_key=True),
    sa.Column("field", sa.String(20), primary_key=True),
    sa.Column("media_type", sa.String(20), nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("ciphertext", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# The audit of every reviewer decision: who, when, what, why.
review_decisions = sa.Table(
    "review_decisions",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    case_ref(nullable=False),
    sa.Column("reviewer_id", sa.String(64), nullable=False),
    sa.Column("decision", sa.String(10), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("from_state", sa.String(20), nullable=False),
    sa.Column("to_state", sa.String(20), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("correlation_id", sa.String(128), nullable=True),
    sa.Index("ix_review_decisions_case", "case_id"),
)
