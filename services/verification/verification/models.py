"""The verification database: its tables, including the outbox and processed events."""

import sqlalchemy as sa
from servicekit.flow_records import (
    RecordRef,
    decisions_table,
    images_table,
    transitions_table,
    views_table,
)
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


# Rows of a case's history, materials and decisions point at it by ``case_id``.
case_ref = RecordRef("case_id", "verification_cases")


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
case_transitions = transitions_table(
    metadata,
    "verification_case_transitions",
    case_ref,
    sa.Column("reason_code", sa.String(64), nullable=True),
    index="ix_verification_case_transitions_case",
)

# Uploaded images, re-encoded and encrypted (AES-GCM, aad binds case and field).
materials = images_table(metadata, "verification_materials", case_ref)

# The audit of every reviewer decision: who, when, what, why.
review_decisions = decisions_table(
    metadata, "review_decisions", case_ref, index="ix_review_decisions_case"
)

# The audit of every view of a case in review (its images and the claimed identity):
# who, when, which request.
review_views = views_table(
    metadata, "review_views", case_ref, index="ix_review_views_case"
)
