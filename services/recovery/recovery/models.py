"""The recovery database: appeals, their history, files and decisions, the outbox,
processed events and durable work items. Personal data (names, document numbers, phones) is
stored encrypted with ``servicekit.crypto``; the appellant's ticket only as a hash.
"""

import sqlalchemy as sa
from servicekit.idempotency import processed_events_table
from servicekit.outbox import outbox_table
from servicekit.workqueue import work_items_table

metadata = sa.MetaData()

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
work_items = work_items_table(metadata)

TIMESTAMP = sa.DateTime(timezone=True)


def appeal_ref(**options: bool) -> sa.Column:
    """The column that ties a row (a transition, a file, a decision) to its appeal."""
    return sa.Column("appeal_id", sa.String(40), sa.ForeignKey("appeals.id"), **options)


# One appeal (flow.AppealState), in the flows' record vocabulary (id, state,
# created_at, updated_at). The public appeal id is the id itself ("apl_" + 32 hex):
# the gateway routes review case ids to recovery by that prefix.
appeals = sa.Table(
    "appeals",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),  # person | organization
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("ticket_hash", sa.String(64), nullable=False),
    # persons: the appellant; organisations: the contact person
    sa.Column("name_enc", sa.Text, nullable=False),
    sa.Column("identity_region", sa.String(16), nullable=True),
    sa.Column("doc_type", sa.String(32), nullable=True),
    sa.Column("doc_number_enc", sa.Text, nullable=True),
    sa.Column("unit_name_enc", sa.Text, nullable=True),
    # the mobile proven by an SMS code: the reserved phone after approval
    sa.Column("phone_enc", sa.Text, nullable=False),
    sa.Column("matched_account_id", sa.String(64), nullable=True),
    sa.Column("matched_login_name", sa.String(64), nullable=True),
    sa.Column("name_matches", sa.Boolean, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("correlation_id", sa.String(128), nullable=True),
    sa.Column("created_at", TIMESTAMP, nullable=False),  # answered as submitted_at
    sa.Column("updated_at", TIMESTAMP, nullable=False),
    sa.Column("decided_at", TIMESTAMP, nullable=True),
    sa.Index("ix_appeals_state", "state", "created_at"),
)

# Every state change of every appeal, written in the transaction of the change (the
# history a reviewer sees), as verification keeps its cases'.
appeal_transitions = sa.Table(
    "appeal_transitions",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    appeal_ref(nullable=False),
    sa.Column("from_state", sa.String(20), nullable=True),
    sa.Column("to_state", sa.String(20), nullable=False),
    sa.Column("trigger", sa.String(40), nullable=False),
    sa.Column("at", TIMESTAMP, nullable=False),
    sa.Index("ix_appeal_transitions_appeal", "appeal_id", "id"),
)

# Uploaded images, re-encoded and encrypted (AES-GCM, aad binds appeal and field).
appeal_files = sa.Table(
    "appeal_files",
    metadata,
    appeal_ref(primary_key=True),
    sa.Column("field", sa.String(20), primary_key=True),
    sa.Column("media_type", sa.String(20), nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("ciphertext", sa.LargeBinary, nullable=False),
    sa.Column("created_at", TIMESTAMP, nullable=False),
)

# The audit of every reviewer decision: who, when, what, why.
appeal_decisions = sa.Table(
    "appeal_decisions",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    appeal_ref(nullable=False),
    sa.Column("reviewer_id", sa.String(64), nullable=False),
    sa.Column("decision", sa.String(10), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("from_state", sa.String(20), nullable=False),
    sa.Column("to_state", sa.String(20), nullable=False),
    sa.Column("decided_at", TIMESTAMP, nullable=False),
    sa.Column("correlation_id", sa.String(128), nullable=True),
    sa.Index("ix_appeal_decisions_appeal", "appeal_id"),
)
