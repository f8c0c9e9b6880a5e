"""servicekit.rpc: a store outage reaches the caller as ``Unavailable`` (503), every
other error as it was. No server runs: the "down" errors are the drivers' own, from
ports where nothing listens, or built as the drivers build them."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import amqp.exceptions
import eventlet
import falcon.testing
import kombu.exceptions
import psycopg
import psycopg.errors as pg
import pytest
import redis
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from contracts import errors as ce
from nameko.containers import ServiceContainer
from nameko.exceptions import RemoteError, deserialize, serialize
from nameko.rpc import Rpc as NamekoRpc
from nameko.utils import REDACTED, get_redacted_args
from redis.backoff import NoBackoff
from redis.retry import Retry
from servicekit import rpc as srpc
from servicekit.jsonlog import WorkerLogging

from tests.support.isolation import free_port


def sa_error(cls, orig, invalidated=False):
    """A SQLAlchemy error wrapping a driver error, as SQLAlchemy raises it."""
    return cls("SELECT 1", {}, orig, connection_invalidated=invalidated)


@pytest.fixture(scope="module")
def refused_by_postgresql() -> sa_exc.OperationalError:
    engine = sa.create_engine(
        f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x",
        connect_args={"connect_timeout": 2},
    )
    try:
        with engine.connect():
            pass
    except sa_exc.OperationalError as exc:
        return exc
    finally:
        engine.dispose()
    pytest.fail("something listens on a free port")


@pytest.fixture(scope="module")
def refused_by_redis() -> redis.ConnectionError:
    client = redis.Redis(
        port=free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
    )
    try:
        client.get("key")
    except redis.ConnectionError as exc:
        return exc
    finally:
        client.close()
    pytest.fail("something listens on a free port")


def pool_timeout() -> sa_exc.TimeoutError:
    try:
        raise sa_exc.TimeoutError("QueuePool limit of size 10 overflow 5 reached")
    except sa_exc.TimeoutError as exc:
        return exc


# --- which errors are outages ------------------------------------------------------------


def test_a_refused_postgresql_connection_is_a_database_outage(refused_by_postgresql):
    assert srpc.dependency_down(refused_by_postgresql) == "postgresql"


def test_a_refused_redis_connection_is_a_cache_outage(refused_by_redis):
    assert srpc.dependency_down(refused_by_redis) == "redis"


def cases(table: dict[str, Exception]) -> list:
    """One ``pytest.param`` per row of an ``id: error`` table, so each table reads as
    the list of errors it is and the id stays next to its error."""
    return [pytest.param(error, id=name) for name, error in table.items()]


OPERATIONAL = sa_exc.OperationalError


@pytest.mark.parametrize(
    "error",
    cases(
        {
            "server shut down mid-connection (invalidated)": sa_error(
                OPERATIONAL, pg.AdminShutdown("terminating"), True
            ),
            "admin shutdown": sa_error(OPERATIONAL, pg.AdminShutdown("terminating")),
            "starting up": sa_error(OPERATIONAL, pg.CannotConnectNow("starting up")),
            "too many connections": sa_error(
                OPERATIONAL, pg.TooManyConnections("too many")
            ),
            "connection lost (libpq, no sqlstate)": sa_error(
                OPERATIONAL,
                psycopg.OperationalError("consuming input failed: server closed"),
            ),
            "InterfaceError on a connection SQLAlchemy saw break": sa_error(
                sa_exc.InterfaceError, psycopg.InterfaceError("connection closed"), True
            ),
            "any DBAPIError with connection_invalidated": sa_error(
                sa_exc.DBAPIError, psycopg.Error("lost"), True
            ),
            "pool checkout timed out": pool_timeout(),
            "raw psycopg": psycopg.OperationalError("connection failed"),
        }
    ),
)
def test_database_outages(error):
    assert srpc.dependency_down(error) == "postgresql"


@pytest.mark.parametrize(
    "error",
    [
        redis.TimeoutError("Timeout reading from socket"),
        redis.ConnectionError("Error 111 connecting"),
        redis.BusyLoadingError("Redis is loading the dataset in memory"),
    ],
    ids=type,
)
def test_cache_outages(error):
    assert srpc.dependency_down(error) == "redis"


@pytest.mark.parametrize(
    "error",
    cases(
        {
            "IntegrityError": sa_error(
                sa_exc.IntegrityError, pg.UniqueViolation("duplicate key")
            ),
            "ProgrammingError": sa_error(
                sa_exc.ProgrammingError, pg.UndefinedTable("no such table")
            ),
            "DataError": sa_error(
                sa_exc.DataError, pg.DivisionByZero("division by zero")
            ),
            "deadlock": sa_error(OPERATIONAL, pg.DeadlockDetected("deadlock")),
            "serialization failure": sa_error(
                OPERATIONAL, pg.SerializationFailure("serialize")
            ),
            "statement timeout": sa_error(
                OPERATIONAL, pg.QueryCanceled("statement timeout")
            ),
            "lock timeout": sa_error(OPERATIONAL, pg.LockNotAvailable("lock timeout")),
            "InterfaceError (misuse)": sa_error(
                sa_exc.InterfaceError, psycopg.InterfaceError("cursor closed")
            ),
            "PendingRollbackError": sa_exc.PendingRollbackError("rollback first"),
            "raw psycopg integrity": pg.UniqueViolation("duplicate key"),
            "redis ResponseError": redis.ResponseError("WRONGTYPE"),
            "redis wrong password": redis.AuthenticationError("invalid password"),
            "builtin ConnectionError": ConnectionError("a socket"),
            "builtin TimeoutError": TimeoutError(),
            "ValueError": ValueError("bug"),
            "Unavailable": ce.Unavailable("store_unavailable", "down"),
        }
    ),
)
def test_other_errors_are_not_outages(error):
    assert srpc.dependency_down(error) is None
    assert srpc.unavailable_for(error, 5) is None


# --- what the caller receives -------------------------------------------------------------


class ToyService:
    name = "toy"
    log = WorkerLogging()

    @srpc.rpc(expected_exceptions=ce.ServiceError, sensitive_arguments=("password",))
    def act(self, login_name, password, error=None):
        if error is not None:
            raise error
        return {"login_name": login_name}


class Sent:
    """Stands in for nameko's RpcConsumer: records the reply it would publish."""

    def __init__(self):
        self.replies: list[tuple] = []

    def handle_result(self, message, result, exc_info):
        error = serialize(exc_info[1]) if exc_info else None
        # on the wire, as JSON (how the gateway receives it)
        self.replies.append(json.loads(json.dumps({"result": result, "error": error})))
        return result, exc_info

    def caller_sees(self):
        reply = self.replies[-1]
        return deserialize(reply["error"]) if reply["error"] else reply["result"]


def toy_container(**config) -> ServiceContainer:
    container = ServiceContainer(
        ToyService, {"AMQP_URI": "memory://", "max_workers": 2, **config}
    )
    for extension in container.extensions:
        extension.setup()
    return container


def run(container: ServiceContainer, error=None):
    """One worker through the container, as a message would start it; returns what
    the caller was sent and what the dependencies' worker_result got."""
    entrypoint = next(e for e in container.entrypoints if isinstance(e, NamekoRpc))
    sent = Sent()
    entrypoint.rpc_consumer = sent
    seen: list = []
    original = container._worker_result
    container._worker_result = lambda ctx, result, exc_info: (
        seen.append(exc_info),
        original(ctx, result, exc_info),
    )
    done = eventlet.event.Event()
    message = SimpleNamespace(properties={})

    def handle_result(worker_ctx, result, exc_info):
        try:
            return entrypoint.handle_result(message, worker_ctx, result, exc_info)
        finally:
            done.send()

    container.spawn_worker(
        entrypoint,
        (),
        {"login_name": "zhang_wei", "password": "Secret-1", "error": error},
        handle_result=handle_result,
    )
    done.wait()
    eventlet.sleep(0.01)  # the worker's teardown
    return sent.caller_sees(), seen[-1]


def test_a_database_outage_reaches_the_caller_as_unavailable(refused_by_postgresql):
    answer, worker_saw = run(toy_container(), refused_by_postgresql)
    assert isinstance(answer, ce.Unavailable)
    assert answer.error_code == "dependency_unavailable"
    assert answer.message == "The database is unavailable; try again shortly."
    assert answer.details == {"retry_after": 5, "dependency": "postgresql"}
    # the container's dependencies (logs, metrics, spans) see the real cause
    assert worker_saw[1] is refused_by_postgresql


def test_a_cache_outage_reaches_the_caller_as_unavailable(refused_by_redis):
    answer, _ = run(toy_container(DEPENDENCY_RETRY_AFTER=12), refused_by_redis)
    assert isinstance(answer, ce.Unavailable)
    assert answer.error_code == "dependency_unavailable"
    assert answer.message == "The cache is unavailable; try again shortly."
    assert answer.details == {"retry_after": 12, "dependency": "redis"}


class BrokerGone(Sent):
    """A consumer whose reply cannot be published: the broker went away."""

    def __init__(self, error: Exception):
        super().__init__()
        self.error = error
        self.acked: list = []
        self.queue_consumer = SimpleNamespace(ack_message=self.acked.append)

    def handle_result(self, message, result, exc_info):
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        kombu.exceptions.OperationalError("publish gave up after its retries"),
        amqp.exceptions.RecoverableConnectionError("connection already closed"),
        ConnectionResetError(104, "Connection reset by peer"),
    ],
    ids=type,
)
def test_a_reply_the_broker_cannot_take_leaves_the_service_running(error):
    container = toy_container()
    entrypoint = next(e for e in container.entrypoints if isinstance(e, NamekoRpc))
    entrypoint.rpc_consumer = BrokerGone(error)
    message = SimpleNamespace(properties={})
    worker_ctx = SimpleNamespace(call_id="toy.log_in.1")

    result, exc_info = entrypoint.handle_result(message, worker_ctx, {"ok": 1}, None)

    # the worker ends normally (plain nameko re-raises here and the container dies)
    assert (result, exc_info) == ({"ok": 1}, None)
    assert entrypoint.rpc_consumer.acked == [message]


def test_another_reply_failure_is_not_hidden():
    container = toy_container()
    entrypoint = next(e for e in container.entrypoints if isinstance(e, NamekoRpc))
    entrypoint.rpc_consumer = BrokerGone(TypeError("not serialisable"))
    with pytest.raises(TypeError):
        entrypoint.handle_result(
            SimpleNamespace(properties={}), SimpleNamespace(call_id="x"), object(), None
        )


def test_the_reply_names_no_internals(refused_by_postgresql):
    container = toy_container()
    run(container, refused_by_postgresql)
    entrypoint = next(e for e in container.entrypoints if isinstance(e, NamekoRpc))
    wire = json.dumps(entrypoint.rpc_consumer.replies[-1])
    for internal in (
        "psycopg",
        "OperationalError",
        "127.0.0.1",
        "refused",
        "sqlalchemy",
    ):
        assert internal not in wire


@pytest.mark.parametrize(
    "error",
    [
        sa_error(sa_exc.IntegrityError, pg.UniqueViolation("duplicate key")),
        sa_error(sa_exc.ProgrammingError, pg.UndefinedTable("no such table")),
        ValueError("a bug"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_any_other_error_reaches_the_caller_unchanged(error):
    answer, worker_saw = run(toy_container(), error)
    assert isinstance(answer, RemoteError)  # the gateway's 500 internal_error
    assert answer.exc_type == type(error).__name__
    assert worker_saw[1] is error


def test_an_expected_error_and_a_result_are_untouched():
    error = ce.Conflict("login_name_taken", "Taken.")
    answer, worker_saw = run(toy_container(), error)
    assert isinstance(answer, ce.Conflict) and answer.error_code == "login_name_taken"
    assert worker_saw[1] is error
    answer, worker_saw = run(toy_container())
    assert answer == {"login_name": "zhang_wei"} and worker_saw is None


def test_the_outage_is_logged_as_an_error_with_its_traceback(
    refused_by_postgresql, caplog
):
    caplog.set_level(logging.INFO)
    run(toy_container(), refused_by_postgresql)
    finished = [r for r in caplog.records if r.getMessage() == "entrypoint finished"]
    assert finished and finished[-1].levelno == logging.ERROR
    assert finished[-1].outcome == "error"
    assert finished[-1].error == "OperationalError"
    assert finished[-1].exc_info[1] is refused_by_postgresql
    told = [r for r in caplog.records if r.name == "servicekit.rpc"]
    assert told and told[-1].dependency == "postgresql"
    # nothing the caller sent is in any line (sensitive_arguments still redacted)
    assert "Secret-1" not in caplog.text


def test_expected_exceptions_and_sensitive_arguments_still_apply():
    container = toy_container()
    entrypoint = next(e for e in container.entrypoints if isinstance(e, NamekoRpc))
    assert isinstance(entrypoint, srpc.Rpc)
    assert entrypoint.expected_exceptions is ce.ServiceError
    assert entrypoint.sensitive_arguments == ("password",)
    redacted = get_redacted_args(entrypoint, "zhang_wei", "Secret-1")
    assert redacted == {"login_name": "zhang_wei", "password": REDACTED, "error": None}


@pytest.mark.parametrize("value, seconds", [(None, 5), ("", 5), (30, 30), ("7", 7)])
def test_retry_after_setting(value, seconds):
    config = {} if value is None else {"DEPENDENCY_RETRY_AFTER": value}
    assert srpc.retry_after_setting(config) == seconds


@pytest.mark.parametrize("value", [0, -1, "soon"])
def test_a_nonsense_retry_after_stops_the_service(value):
    with pytest.raises(ValueError):
        toy_container(DEPENDENCY_RETRY_AFTER=value)


def test_the_gateway_answers_503_with_retry_after(refused_by_postgresql):
    """The whole chain but the broker: reply -> gateway -> HTTP."""
    from gateway.app import create_app
    from gateway.settings import Settings

    from tests.unit.gateway.fakes import FakeRedis, FakeRpc

    answer, _ = run(toy_container(DEPENDENCY_RETRY_AFTER=9), refused_by_postgresql)

    def check_login_name(login_name):
        raise answer

    rpc = FakeRpc({("accounts", "check_login_name"): check_login_name})
    app = create_app(Settings(environment="test"), rpc, FakeRedis())
    result = falcon.testing.TestClient(app).simulate_get(
        "/api/v1/login-names/zhang_wei"
    )
    assert result.status_code == 503
    assert result.headers["Content-Type"] == "application/problem+json"
    assert result.headers["Retry-After"] == "9"
    assert result.json["code"] == "dependency_unavailable"
    assert result.json["dependency"] == "postgresql"
