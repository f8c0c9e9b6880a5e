"""Durable work items: slow or flaky outside calls run from rows in PostgreSQL.

A use case that must call something outside (an identity authority, an SMS carrier)
does not call it inline: it *enqueues* a work item in the same transaction as the
state change that needs it. A background loop in every copy of the service claims
due items and runs them as ordinary Nameko workers of a ``@work_item(kind)``
entrypoint (so dependencies, logging and the correlation id work as for any other
entrypoint).

Guarantees, and how each one is kept:

- **Nothing is lost.** The item is a row committed with the state change; it is
  deleted by nobody, only marked ``done_at`` after its worker succeeded.
- **An item never runs twice at once**, with any number of copies: a claim takes due
  rows with ``FOR UPDATE SKIP LOCKED`` and leases them (``locked_until``, a fresh
  ``claimed_by`` token per claim) in one short transaction. Nobody else claims a
  leased row until the lease ends; workers must finish well inside the lease (give
  every outside call a timeout shorter than ``WORK_LEASE_SECONDS``).
- **A crash loses nothing.** A copy killed mid-batch leaves its rows leased; when the
  lease ends another copy (or the restarted one) claims them again. So an item may
  run again after a crash: the worker's own effect must be a conditional state
  transition (decide only if still undecided) so that it is applied once.
- **Failures wait and retry.** A worker that raises is retried after an exponential
  back-off (``WORK_RETRY_BASE_SECONDS`` doubling up to ``WORK_RETRY_MAX_SECONDS``,
  with jitter so that copies do not stampede an authority that comes back: the
  formula and the claiming loop are :mod:`servicekit.workloop`'s, shared with otp). There
  is no attempt limit: an outside outage delays work, it never drops it. Raise
  :class:`RetryLater` for an expected, transient failure (logged as ``rejected``,
  not ``error``).

Completing and retrying are conditional on the claim token, so a worker whose lease
ran out (and whose item another copy claimed) cannot mark it done or reschedule it.

Time is the database's ``now()`` throughout, so copies with skewed clocks agree.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import eventlet
import eventlet.queue
import sqlalchemy as sa
from eventlet.event import Event
from nameko.extensions import Entrypoint
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Session

from servicekit import jsonlog, metrics
from servicekit.settings import WorkSettings
from servicekit.workloop import backoff, run_work_loop

_log = logging.getLogger("servicekit.workqueue")

# seconds between the counts of waiting and retrying items a copy reports (metrics)
COUNT_EVERY = 5.0
# longest pause of the claiming loop while the database does not answer
LOOP_RETRY_CAP = 30.0


def work_items_table(metadata: sa.MetaData) -> sa.Table:
    """The ``work_items`` table, declared on a service's own metadata."""
    return sa.Table(
        "work_items",
        metadata,
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("ref", sa.String(200), nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("correlation_id", sa.String(128), nullable=True),
        # the call id of the worker that enqueued the item (the trace's parent)
        sa.Column("parent_call_id", sa.String(300), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Index(
            "ix_work_items_due",
            "kind",
            "next_attempt_at",
            postgresql_where=sa.text("done_at IS NULL"),
        ),
        sa.Index("ix_work_items_ref", "kind", "ref"),
    )


def _seconds(value: float):
    return sa.func.make_interval(0, 0, 0, 0, 0, 0, value)


def enqueue(
    session: Session,
    table: sa.Table,
    *,
    kind: str,
    ref: str,
    payload: dict[str, Any] | None = None,
    correlation_id: str | None = None,
    parent_call_id: str | None = None,
    delay: float = 0.0,
) -> str:
    """Add a work item inside the caller's transaction; returns its id.

    ``correlation_id`` and ``parent_call_id`` (the enqueuing worker's call id) make
    each attempt show under the request that caused it (``make trace``)."""
    item_id = uuid.uuid4()
    session.execute(
        table.insert().values(
            id=item_id,
            kind=kind,
            ref=ref,
            payload=payload or {},
            correlation_id=correlation_id,
            parent_call_id=parent_call_id,
            attempts=0,
            next_attempt_at=sa.func.now() + _seconds(delay),
            created_at=sa.func.now(),
        )
    )
    return str(item_id)


class RetryLater(Exception):
    """A transient failure (a dependency is down): try the item again later.

    ``error_code`` (e.g. ``authority_unavailable``) is what the logs, metrics and
    ``last_error`` show: a short code, never a message that could hold personal data.
    """

    def __init__(self, error_code: str = "retry_later"):
        super().__init__(error_code)
        self.error_code = error_code


@dataclass(frozen=True)
class WorkItem:
    id: str
    kind: str
    ref: str
    payload: dict[str, Any]
    correlation_id: str | None
    attempts: int  # including this one
    claim: str
    parent_call_id: str | None = None

    def as_argument(self) -> dict[str, Any]:
        """What the worker method receives."""
        return {
            "id": self.id,
            "kind": self.kind,
            "ref": self.ref,
            "payload": self.payload,
            "attempts": self.attempts,
        }


class WorkQueue:
    """Claiming, completing and rescheduling rows (no Nameko in here)."""

    def __init__(self, engine: sa.Engine, table: sa.Table, owner: str):
        self.engine = engine
        self.table = table
        self.owner = owner

    def claim(self, kind: str, limit: int, lease_seconds: float) -> list[WorkItem]:
        """Lease up to ``limit`` due items of ``kind``; one short transaction."""
        if limit <= 0:
            return []
        t = self.table
        claim = f"{self.owner}:{uuid.uuid4().hex}"
        due = (
            sa.select(t.c.id)
            .where(
                t.c.kind == kind,
                t.c.done_at.is_(None),
                t.c.next_attempt_at <= sa.func.now(),
                sa.or_(t.c.locked_until.is_(None), t.c.locked_until < sa.func.now()),
            )
            .order_by(t.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with Session(self.engine) as session, session.begin():
            ids = list(session.execute(due).scalars())
            if not ids:
                return []
            rows = session.execute(
                t.update()
                .where(t.c.id.in_(ids))
                .values(
                    locked_until=sa.func.now() + _seconds(lease_seconds),
                    claimed_by=claim,
                    attempts=t.c.attempts + 1,
                )
                .returning(
                    t.c.id,
                    t.c.kind,
                    t.c.ref,
                    t.c.payload,
                    t.c.correlation_id,
                    t.c.attempts,
                    t.c.parent_call_id,
                )
            ).all()
        return [
            WorkItem(
                str(r.id),
                r.kind,
                r.ref,
                r.payload,
                r.correlation_id,
                r.attempts,
                claim,
                r.parent_call_id,
            )
            for r in rows
        ]

    def purge_done(self, kind: str, older_than: float, limit: int = 1000) -> int:
        """Delete up to ``limit`` items of ``kind`` done more than ``older_than``
        seconds ago (done rows are kept a while for inspection, then go)."""
        t = self.table
        old = (
            sa.select(t.c.id)
            .where(
                t.c.kind == kind,
                t.c.done_at.is_not(None),
                t.c.done_at < sa.func.now() - _seconds(older_than),
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with self.engine.begin() as conn:
            return conn.execute(
                t.delete().where(t.c.id.in_(old.scalar_subquery()))
            ).rowcount

    def counts(self, kind: str) -> tuple[int, int]:
        """(waiting for a first attempt, waiting to be retried) of ``kind``."""
        t = self.table
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(
                    sa.func.count().filter(t.c.attempts == 0),
                    sa.func.count().filter(t.c.attempts > 0),
                ).where(t.c.kind == kind, t.c.done_at.is_(None))
            ).one()
        return int(row[0]), int(row[1])

    def complete(self, item: WorkItem) -> bool:
        """Mark the item done; False when the lease was lost to another claim."""
        t = self.table
        with self.engine.begin() as conn:
            result = conn.execute(
                t.update()
                .where(t.c.id == uuid.UUID(item.id), t.c.claimed_by == item.claim)
                .values(done_at=sa.func.now(), locked_until=None, last_error=None)
            )
        return result.rowcount == 1

    def retry(self, item: WorkItem, delay: float, error: str) -> bool:
        """Release the lease and schedule the next attempt in ``delay`` seconds."""
        t = self.table
        with self.engine.begin() as conn:
            result = conn.execute(
                t.update()
                .where(t.c.id == uuid.UUID(item.id), t.c.claimed_by == item.claim)
                .values(
                    next_attempt_at=sa.func.now() + _seconds(delay),
                    locked_until=None,
                    claimed_by=None,
                    last_error=error[:2000],
                )
            )
        return result.rowcount == 1


class WorkItemEntrypoint(Entrypoint):
    """Runs the decorated method once per claimed item of ``kind``.

    Config: ``DB_URL``; the ``WORK_*`` settings of
    :class:`servicekit.settings.WorkSettings` (poll interval when idle, lease,
    items in flight per copy, retry back-off, how long done items stay).

    The method gets one argument, :meth:`WorkItem.as_argument`; the item's
    ``correlation_id`` becomes the worker's, so its logs and events join the
    request that caused the work.
    """

    hop = "work"  # what jsonlog.entrypoint_kind reports for these workers

    def __init__(self, kind: str, **kwargs):
        self.kind = kind
        kwargs.setdefault("expected_exceptions", (RetryLater,))
        super().__init__(**kwargs)

    def setup(self):
        config = self.container.config
        settings = WorkSettings.from_config(config)
        self.poll_interval = settings.work_poll_interval
        self.lease_seconds = settings.work_lease_seconds
        self.concurrency = settings.work_concurrency
        self.done_retention = settings.work_done_retention_seconds
        self.retry_base = settings.work_retry_base_seconds
        self.retry_max = settings.work_retry_max_seconds
        self.engine = sa.create_engine(
            config["DB_URL"],
            pool_size=2,
            max_overflow=2,
            pool_pre_ping=True,
            pool_timeout=10,
            connect_args={"connect_timeout": 5},
        )
        self.service = self.container.service_name
        owner = f"{self.service}.{uuid.uuid4().hex[:8]}"
        self.queue = WorkQueue(self.engine, work_items_table(sa.MetaData()), owner)
        self._in_flight = 0
        self._reported_at = 0.0
        # a finished attempt or stop() wakes the loop at once (no wait for the poll)
        self._wakeup = eventlet.queue.LightQueue()
        self._should_stop = Event()
        self._gt = None

    def start(self):
        self._gt = self.container.spawn_managed_thread(self._loop)

    def stop(self):
        if not self._should_stop.ready():
            self._should_stop.send(True)
        self._wakeup.put(None)
        if self._gt is not None:
            self._gt.wait()
        self.engine.dispose()

    def kill(self):
        if self._gt is not None:
            self._gt.kill()
        self.engine.dispose()

    def _loop(self) -> None:
        run_work_loop(
            self._claim_and_start,
            should_stop=self._should_stop.ready,
            idle_wait=self._wait,
            idle_seconds=self.poll_interval,
            retry_base=self.poll_interval,
            retry_cap=LOOP_RETRY_CAP,
            logger=_log,
            name=f"claiming {self.kind} work",
        )

    def _claim_and_start(self) -> bool:
        """One turn of the loop: count now and then, claim what fits, start it."""
        if time.monotonic() - self._reported_at >= COUNT_EVERY:
            self._reported_at = time.monotonic()
            self._report_counts()
            self.queue.purge_done(self.kind, self.done_retention)
        free = self.concurrency - self._in_flight
        items = self.queue.claim(self.kind, free, self.lease_seconds)
        for item in items:
            self._in_flight += 1
            self._spawn(item)
        return bool(items)

    def _wait(self, seconds: float) -> None:
        """Sleep until ``seconds`` pass, an attempt finishes or stop() is called."""
        with contextlib.suppress(eventlet.queue.Empty):
            self._wakeup.get(timeout=seconds)

    def _spawn(self, item: WorkItem) -> None:
        call_id = jsonlog.work_item_call_id(
            self.service, item.kind, item.id, item.attempts
        )
        context = {"correlation_id": item.correlation_id}
        if item.parent_call_id:
            context["call_id_stack"] = [item.parent_call_id]
        started = (datetime.now(UTC), time.perf_counter())
        worker_ctx = self.container.spawn_worker(
            self,
            (item.as_argument(),),
            {},
            context_data=context,
            handle_result=partial(self._finish, item, started),
        )
        # The attempt's worker takes the attempt's call id, so the RPCs and events
        # it makes hang under its "work item finished" line in the trace. nameko
        # names a worker lazily, and the new greenthread has not run yet.
        worker_ctx._call_id = call_id

    def _report_counts(self) -> None:
        waiting, retrying = self.queue.counts(self.kind)
        metrics.report_work_items(
            self.service, self.kind, waiting=waiting, retrying=retrying
        )

    def _finish(self, item: WorkItem, started, worker_ctx, result, exc_info):
        started_at, perf = started
        seconds = time.perf_counter() - perf
        outcome, next_attempt_at, error = "ok", None, None
        try:
            if exc_info is None:
                if not self.queue.complete(item):
                    _log.warning("work item %s finished after its lease ended", item.id)
            else:
                error = exc_info[1]
                delay = backoff(item.attempts, self.retry_base, self.retry_max)
                outcome = "retry"
                next_attempt_at = datetime.now(UTC) + timedelta(seconds=delay)
                # the class and code only: a message may hold personal data
                code = getattr(error, "error_code", None)
                summary = type(error).__name__ + (f": {code}" if code else "")
                self.queue.retry(item, delay, summary)
        except Exception:  # noqa: BLE001 - the lease ends and another claim retries it
            _log.warning(
                "could not record the result of work item %s", item.id, exc_info=True
            )
        finally:
            self._in_flight -= 1  # greenthreads switch only on I/O: no lock needed
            self._wakeup.put(None)
        jsonlog.log_work_item(
            service=self.service,
            kind=item.kind,
            item_id=item.id,
            attempt=item.attempts,
            correlation_id=item.correlation_id,
            parent_call_id=item.parent_call_id,
            started_at=started_at,
            duration_ms=seconds * 1000,
            outcome=outcome,
            next_attempt_at=next_attempt_at,
            error=error,
        )
        metrics.record_work_item_attempt(self.service, item.kind, outcome, seconds)
        return result, exc_info


work_item = WorkItemEntrypoint.decorator
