"""Every service's Alembic migrations produce exactly the tables its models declare."""

from __future__ import annotations

import importlib

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.support.isolation import DB_SERVICES

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("service", DB_SERVICES)
def test_migrated_schema_matches_models(stack, isolation, service):
    metadata = importlib.import_module(f"{service}.models").metadata
    engine = sa.create_engine(isolation.db_url(service))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


@pytest.mark.parametrize("service", DB_SERVICES)
def test_migrating_again_changes_nothing(stack, service):
    stack.migrate()  # idempotent: a second run finds everything at head
