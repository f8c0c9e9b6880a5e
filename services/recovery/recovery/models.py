"""The recovery database: appeals, their history, files, decisions and reviewers'
views, the outbox, processed events and durable work items. Personal data (names,
document numbers, phones) is stored encrypted with ``servicekit.crypto``; the
appellant's ticket as a hash (what the status look-up compares) and encrypted (what
the rejection SMS carries).
"""

import sqlalchemy as sa
from servicekit.flow_records import (
    TIMESTAMP,
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

# Rows of an appeal's history, files, decisions and views point at it by ``appeal_id``.
appeal_ref = RecordRef("appeal_id", "appeals")


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
    # the same ticket, encrypted, for the rejection SMS (NULL before migration 0004)
    sa.Column("ticket_enc", sa.Text, nullable=True),
    # persons: the appellant; organisations: the contact person
    sa.Column("name_enc", sa.Text, nullable=False),
    sa.Column("identity_region", sa.String(16), nullable=True),
    sa.Column("doc_type", sa.String(32), nullable=True),
    sa.Column("doc_number_enc", sa.Text, nullable=True),
    sa.Column("unit_name_enc", sa.Text, nullable=True),
    # organisations: the code given at the look-up (credit_code or
    # registration_number) and every organisation the appeal could be about, as
    # accounts answered them (masked), one encrypted JSON list (NULL before 0005)
    sa.Column("unit_code_kind", sa.String(24), nullable=True),
    sa.Column("unit_code_enc", sa.Text, nullable=True),
    sa.Column("candidates_enc", sa.Text, nullable=True),
    # the mobile proven by an SMS code: the reserved phone after approval
    sa.Column("phone_enc", sa.Text, nullable=False),
    # the one account the appeal matches (null while several could), and after an
    # approval the account the reviewer named: the one recovered
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
appeal_transitions = transitions_table(
    metadata, "appeal_transitions", appeal_ref, index="ix_appeal_transitions_appeal"
)

# Uploaded images, re-encoded and encrypted (AES-GCM, aad binds appeal and field).
appeal_files = images_table(metadata, "appeal_files", appeal_ref)

# The audit of every reviewer decision: who, when, what, why.
appeal_decisions = decisions_table(
    metadata, "appeal_decisions", appeal_ref, index="ix_appeal_decisions_appeal"
)

# The audit of every view of an appeal by a reviewer (its images and the claim):
# who, when, and the request that did it; one row per view, written with the read.
appeal_review_views = views_table(
    metadata,
    "appeal_review_views",
    appeal_ref,
    index="ix_appeal_review_views_appeal",
)
