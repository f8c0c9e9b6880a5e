"""The body of every service's ``migrations/env.py``: run migrations online."""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context


def run_migrations(target_metadata: sa.MetaData) -> None:
    config = context.config
    url = config.get_main_option("sqlalchemy.url") or os.environ["DB_URL"]
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
