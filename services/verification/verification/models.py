"""The verification database: its tables, including the outbox and processed events."""

import sqlalchemy as sa
from servicekit.idempotency import processed_events_table
from servicekit.outbox import outbox_table

metadata = sa.MetaData()

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)

# Event-path canaries that arrived from accounts (operators' end-to-end probe).
pipeline_canaries = sa.Table(
    "pipeline_canaries",
    metadata,
    sa.Column("canary_id", sa.String(36), primary_key=True),
    sa.Column("correlation_id", sa.String(128), nullable=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)
