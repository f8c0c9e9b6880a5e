"""Migration steps for the tables the kit owns in every service database.

The first revision every service database shares (``shared_versions/0001_outbox.py``)
calls ``create_messaging_tables(op)``; if the kit ever changes these tables, it ships a
new function here and each service adds a migration that calls it.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from servicekit.idempotency import processed_events_table
from servicekit.outbox import outbox_table
from servicekit.workqueue import work_items_table


def _metadata(*tables: Callable[[sa.MetaData], sa.Table]) -> sa.MetaData:
    """A fresh MetaData holding the kit's tables ``tables`` define."""
    metadata = sa.MetaData()
    for table in tables:
        table(metadata)
    return metadata


MESSAGING = (outbox_table, processed_events_table)
WORK_ITEMS = (work_items_table,)


def create_messaging_tables(op) -> None:
    _metadata(*MESSAGING).create_all(op.get_bind())


def drop_messaging_tables(op) -> None:
    _metadata(*MESSAGING).drop_all(op.get_bind())


def create_work_items_table(op) -> None:
    """For a service that runs durable work items (``servicekit.workqueue``)."""
    _metadata(*WORK_ITEMS).create_all(op.get_bind())


def drop_work_items_table(op) -> None:
    _metadata(*WORK_ITEMS).drop_all(op.get_bind())
