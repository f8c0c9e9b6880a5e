"""Migration steps for the tables the kit owns in every service database.

A service's first migration calls ``create_messaging_tables(op)``; if the kit ever
changes these tables, it ships a new function here and each service adds a
migration that calls it.
"""

from __future__ import annotations

import sqlalchemy as sa

from servicekit.idempotency import processed_events_table
from servicekit.outbox import outbox_table
from servicekit.workqueue import work_items_table


def _messaging_metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    outbox_table(metadata)
    processed_events_table(metadata)
    return metadata


def create_messaging_tables(op) -> None:
    _messaging_metadata().create_all(op.get_bind())


def drop_messaging_tables(op) -> None:
    _messaging_metadata().drop_all(op.get_bind())


def _work_items_metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    work_items_table(metadata)
    return metadata


def create_work_items_table(op) -> None:
    """For a service that runs durable work items (``servicekit.workqueue``)."""
    _work_items_metadata().create_all(op.get_bind())


def drop_work_items_table(op) -> None:
    _work_items_metadata().drop_all(op.get_bind())
