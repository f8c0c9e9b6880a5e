"""The recovery database: its tables, including the outbox and processed events."""

import sqlalchemy as sa
from servicekit.idempotency import processed_events_table
from servicekit.outbox import outbox_table

metadata = sa.MetaData()

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
