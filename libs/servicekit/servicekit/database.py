"""The PostgreSQL dependency provider: a session per worker, and the outbox.

A worker gets a :class:`WorkerDatabase`: ``session`` (opened on first use, closed
when the worker ends) and ``emit()`` which writes an event into the outbox inside
that session's transaction. After the worker ends, the events it emitted are relayed
at once; a background loop relays anything left behind (a crash, a broker outage).
"""

from __future__ import annotations

import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import logging
import time

import eventlet
import psycopg  # noqa: F401 - imported at module top on purpose (stack-notes)
import sqlalchemy as sa
from contracts.events import Event
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import Session, sessionmaker

from servicekit.outbox import OutboxRelay, add_event
from servicekit.tracing import trace_context_of

_log = logging.getLogger("servicekit.database")


def ping_after_idle(engine: sa.Engine, seconds: float) -> None:
    """Test a pooled connection before use only when it sat idle ``seconds`` or more.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: one more round trip to
    PostgreSQL on every RPC (the login-name check went from 0.74 to 0.90 of the echo
    floor without it). A connection in steady use has just proved itself; one that
    waited in the pool (overnight, or across a PostgreSQL restart) is pinged and, if
    dead, replaced before the worker sees it. A server that restarts within
    ``seconds`` of a connection's last use fails that connection's next query once:
    SQLAlchemy then sees the disconnect and renews the whole pool, and the caller
    gets 503 ``dependency_unavailable`` (servicekit.rpc) to retry.
    """

    @sa.event.listens_for(engine, "checkin")
    def _idle_from_now(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure means: use another connection
            # the pool discards this connection and checks out a fresh one
            raise sa.exc.DisconnectionError(f"stale pooled connection: {exc}") from exc


def read_one(session: Session, query: sa.Executable, params: dict | None = None):
    """The first row of one read-only ``query``.

    Inside the session's open transaction it runs there. Otherwise it runs on its
    own in autocommit: a single SELECT needs no BEGIN and COMMIT around it, which
    saves two round trips to PostgreSQL on the hottest reads (a login-name check).
    """
    if session.in_transaction():
        return session.execute(query, params).first()
    with session.get_bind().connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        return conn.execute(query, params).first()


class WorkerDatabase:
    """What a worker sees: a lazily opened session and the outbox writer."""

    def __init__(self, provider: Database, worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx
        self._session: Session | None = None
        self.emitted: list[str] = []

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self._provider.sessionmaker()
        return self._session

    def emit(self, event: Event) -> str:
        """Write ``event`` to the outbox in the current transaction; returns its id.

        ``event`` is a ``contracts`` event model of this service: its class names
        the event type, its fields are the payload (``data``). Only a model is
        accepted, so every payload that leaves a service is one its contract
        declares (issue 11)."""
        if not isinstance(event, Event):
            raise TypeError(f"emit takes a contracts event model, not {event!r}")
        source = self._provider.container.service_name
        if event.source != source:
            raise ValueError(
                f"{type(event).__name__} is an event of {event.source!r}, "
                f"not of {source!r}"
            )
        if self._provider.outbox is None:
            raise RuntimeError("this Database was declared without an outbox table")
        event_id = add_event(
            self.session,
            self._provider.outbox,
            event,
            correlation_id=self._worker_ctx.data.get("correlation_id"),
            call_id_stack=list(self._worker_ctx.call_id_stack or []),
            trace_context=trace_context_of(self._worker_ctx.data),
        )
        self.emitted.append(event_id)
        return event_id

    def ping(self) -> bool:
        return self._provider.ping()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


class Database(DependencyProvider):
    """Config: ``DB_URL``, ``DB_POOL_SIZE``, ``DB_PING_AFTER_IDLE_SECONDS``,
    ``OUTBOX_RELAY_INTERVAL`` (seconds)."""

    def __init__(self, outbox: sa.Table | None = None):
        self.outbox = outbox

    def setup(self):
        config = self.container.config
        self.engine = sa.create_engine(
            config["DB_URL"],
            pool_size=int(config.get("DB_POOL_SIZE", 10)),
            max_overflow=5,
            pool_timeout=10,
            connect_args={"connect_timeout": 5},
        )
        ping_after_idle(self.engine, float(config.get("DB_PING_AFTER_IDLE_SECONDS", 2)))
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.interval = float(config.get("OUTBOX_RELAY_INTERVAL", 1.0))
        self.relay = None
        if self.outbox is not None:
            self.relay = OutboxRelay(
                self.engine,
                self.outbox,
                config["AMQP_URI"],
                self.container.service_name,
                config,
            )
        self._workers: dict = {}
        self._running = False

    def start(self):
        if self.relay is not None:
            self._running = True
            self.container.spawn_managed_thread(self._relay_loop)

    def stop(self):
        self._running = False
        if self.relay is not None:
            self.relay.close()
        self.engine.dispose()

    kill = stop

    def _relay_loop(self):
        failures = 0
        while self._running:
            try:
                published = self.relay.relay()
                failures = 0
            except Exception as exc:  # noqa: BLE001 - the loop must outlive any outage
                failures += 1
                _log.warning("outbox relay failed; retrying: %s", exc)
                published = 0
            if published == 0:
                eventlet.sleep(min(self.interval * (2 ** min(failures, 5)), 30))

    def get_dependency(self, worker_ctx) -> WorkerDatabase:
        worker_db = WorkerDatabase(self, worker_ctx)
        self._workers[worker_ctx] = worker_db
        return worker_db

    def worker_teardown(self, worker_ctx):
        worker_db = self._workers.pop(worker_ctx, None)
        if worker_db is None:
            return
        worker_db.close()
        if worker_db.emitted and self.relay is not None:
            try:
                self.relay.relay(worker_db.emitted)
            except Exception:  # noqa: BLE001 - the loop publishes it later
                _log.warning(
                    "immediate relay failed; the loop will retry", exc_info=True
                )

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - a ping reports, never raises
            return False
