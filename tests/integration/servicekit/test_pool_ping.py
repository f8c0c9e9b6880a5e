"""servicekit.database.ping_after_idle against a real PostgreSQL: a pooled
connection the server dropped is replaced before use when it sat idle; one in
steady use fails once, and the pool renews itself."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from servicekit.database import ping_after_idle

from tests.support.isolation import PG_SERVER

pytestmark = pytest.mark.integration

PID = sa.text("SELECT pg_backend_pid()")


def engine_pinging_after(seconds: float) -> sa.Engine:
    engine = sa.create_engine(f"{PG_SERVER}/postgres", pool_size=1, max_overflow=0)
    ping_after_idle(engine, seconds)
    return engine


def kill_backend(pid: int) -> None:
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(sa.text(f"SELECT pg_terminate_backend({pid})")).scalar()
    admin.dispose()


@contextmanager
def pooled_connection_killed(ping_after: float) -> Iterator[tuple[sa.Engine, int]]:
    """An engine whose one pooled connection's server process was just terminated,
    and that server process's pid."""
    engine = engine_pinging_after(ping_after)
    try:
        with engine.connect() as conn:
            first = conn.execute(PID).scalar()
        kill_backend(first)
        yield engine, first
    finally:
        engine.dispose()


def test_a_dropped_connection_that_sat_idle_is_replaced_unseen():
    with pooled_connection_killed(0.2) as (engine, first):
        time.sleep(0.3)
        with engine.connect() as conn:
            assert conn.execute(PID).scalar() != first


def test_a_dropped_connection_in_steady_use_fails_once_then_the_pool_renews():
    with pooled_connection_killed(60) as (engine, first):
        with pytest.raises(sa.exc.OperationalError) as failed, engine.connect() as conn:
            conn.execute(PID)
        assert failed.value.connection_invalidated
        with engine.connect() as conn:
            assert conn.execute(PID).scalar() != first
