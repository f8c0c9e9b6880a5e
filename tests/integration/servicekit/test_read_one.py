"""servicekit.database.read_one against a real PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from servicekit.database import read_one
from sqlalchemy.orm import Session

from tests.support.isolation import PG_SERVER

pytestmark = pytest.mark.integration


@pytest.fixture
def engine():
    engine = sa.create_engine(f"{PG_SERVER}/postgres")
    yield engine
    engine.dispose()


def test_outside_a_transaction_the_read_opens_none(engine):
    with Session(engine) as session:
        # In autocommit the statement is its own transaction, so now() (the
        # transaction's start) is the statement's start; after a BEGIN it is earlier.
        row = read_one(session, sa.text("SELECT now() = statement_timestamp()"))
        assert row[0] is True
        assert not session.in_transaction()


def test_inside_a_transaction_the_read_sees_its_uncommitted_work(engine):
    with Session(engine) as session, session.begin():
        session.execute(sa.text("CREATE TEMP TABLE t (x int) ON COMMIT DROP"))
        session.execute(sa.text("INSERT INTO t VALUES (7)"))
        assert read_one(session, sa.text("SELECT x FROM t")) == (7,)
        assert (
            read_one(session, sa.text("SELECT x FROM t WHERE x = :x"), {"x": 8}) is None
        )
