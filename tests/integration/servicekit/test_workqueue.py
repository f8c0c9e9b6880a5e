"""servicekit.workqueue against a real PostgreSQL: claims, leases, retries."""

from __future__ import annotations

import secrets
import threading
import time

import pytest
import sqlalchemy as sa
from servicekit.migrate import ensure_database
from servicekit.workqueue import WorkQueue, enqueue, work_items_table
from sqlalchemy.orm import Session

from tests.support.isolation import PG_SERVER
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def engine():
    url = f"{PG_SERVER}/workqueue_{secrets.token_hex(4)}"
    ensure_database(url)
    engine = sa.create_engine(url, pool_size=20)
    metadata = sa.MetaData()
    work_items_table(metadata)
    metadata.create_all(engine)
    yield engine
    engine.dispose()
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        )
    admin.dispose()


@pytest.fixture
def table(engine):
    table = work_items_table(sa.MetaData())
    with engine.begin() as conn:
        conn.execute(table.delete())
    return table


def add(engine, table, n: int, kind: str = "job", delay: float = 0.0) -> list[str]:
    with Session(engine) as session, session.begin():
        return [
            enqueue(
                session, table, kind=kind, ref=f"r{i}", payload={"i": i}, delay=delay
            )
            for i in range(n)
        ]


def test_an_item_is_claimed_by_one_copy_only_while_leased(engine, table):
    add(engine, table, 1)
    a, b = WorkQueue(engine, table, "a"), WorkQueue(engine, table, "b")
    first = a.claim("job", 10, lease_seconds=30)
    assert len(first) == 1 and first[0].attempts == 1
    assert b.claim("job", 10, lease_seconds=30) == []
    assert a.complete(first[0])
    assert b.claim("job", 10, lease_seconds=30) == []  # done is done


def test_many_copies_claiming_at_once_never_share_an_item(engine, table):
    ids = set(add(engine, table, 200))
    claimed: list[str] = []
    lock = threading.Lock()

    def copy(name: str):
        queue = WorkQueue(engine, table, name)
        while True:
            items = queue.claim("job", 7, lease_seconds=30)
            if not items:
                return
            with lock:
                claimed.extend(i.id for i in items)

    threads = [threading.Thread(target=copy, args=(f"c{n}",)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(ids)  # every item once, none twice


def test_a_lapsed_lease_is_claimed_again_and_the_late_worker_cannot_finish(
    engine, table
):
    add(engine, table, 1)
    crashed, survivor = (
        WorkQueue(engine, table, "crashed"),
        WorkQueue(engine, table, "ok"),
    )
    lost = crashed.claim("job", 1, lease_seconds=2)[0]
    assert survivor.claim("job", 1, lease_seconds=30) == []  # leased: not yet
    again = wait_for(lambda: survivor.claim("job", 1, lease_seconds=30), timeout=10)[0]
    assert again.id == lost.id and again.attempts == 2
    assert not crashed.complete(lost)  # its claim is no longer the item's
    assert not crashed.retry(lost, 0, "late")
    assert survivor.complete(again)


def test_a_retry_waits_for_its_delay_and_keeps_the_error(engine, table):
    add(engine, table, 1)
    queue = WorkQueue(engine, table, "a")
    item = queue.claim("job", 1, lease_seconds=30)[0]
    assert queue.retry(item, 0.5, "AuthorityUnavailable: down")
    assert queue.claim("job", 1, lease_seconds=30) == []
    started = time.monotonic()
    again = wait_for(lambda: queue.claim("job", 1, lease_seconds=30), timeout=5)[0]
    assert time.monotonic() - started > 0.3
    assert again.attempts == 2
    with engine.connect() as conn:
        assert conn.execute(sa.select(table.c.last_error)).scalar_one() == (
            "AuthorityUnavailable: down"
        )


def test_delayed_and_other_kinds_are_not_claimed(engine, table):
    add(engine, table, 1, kind="other")
    add(engine, table, 1, delay=3600)
    assert WorkQueue(engine, table, "a").claim("job", 10, lease_seconds=30) == []


def test_done_items_are_purged_after_their_retention(engine, table):
    add(engine, table, 3)
    queue = WorkQueue(engine, table, "a")
    items = queue.claim("job", 3, lease_seconds=30)
    for item in items[:2]:
        assert queue.complete(item)
    assert queue.purge_done("job", older_than=3600) == 0  # too recent
    assert queue.purge_done("job", older_than=0) == 2
    with engine.connect() as conn:
        left = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    assert left == 1  # the unfinished one stays
