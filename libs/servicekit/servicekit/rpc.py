"""The ``rpc`` entrypoint of every service: nameko's, plus outages answered as 503.

When PostgreSQL or Redis is down, a worker fails with a driver error (sqlalchemy
``OperationalError``, redis ``ConnectionError``...). Plain nameko sends that back as
an unexpected remote error and the gateway answers 500 ``internal_error``. This
entrypoint answers the caller :class:`contracts.errors.Unavailable` instead::

    Unavailable("dependency_unavailable", "The database is unavailable; try again shortly.",
                {"retry_after": 5, "dependency": "postgresql"})

which the gateway turns into 503 with ``Retry-After``. ``retry_after`` is the
``DEPENDENCY_RETRY_AFTER`` setting (seconds, default 5).

Only genuine outages are translated (:func:`dependency_down`): the server cannot be
reached, the connection broke, the server is shutting down, starting or out of
connections, the connection pool timed out. An ``IntegrityError``, a SQL mistake, a
deadlock or a statement timeout stay what they are (500: a bug or a load problem to
look at, not "retry later").

Only the *reply* changes. The container, and every dependency's ``worker_result``
(``WorkerLogging``, ``Metrics``, ``Tracing``), still see the original exception: it
is logged at error level with its traceback (nameko's ``error handling worker`` line
and the ``entrypoint finished`` line), counted as ``outcome="error"`` and recorded on
the span, so on-call sees the cause. ``expected_exceptions`` and
``sensitive_arguments`` work exactly as in ``nameko.rpc.rpc``.

Usage: ``from servicekit.rpc import rpc`` instead of ``from nameko.rpc import rpc``;
its arguments and reply are read through the method's annotations (the contract's
models, :mod:`servicekit.typed`).
"""

from __future__ import annotations

import contextlib
import logging

import kombu.exceptions
import psycopg
import redis
import sqlalchemy.exc as sa_exc
from contracts.errors import Unavailable
from nameko.rpc import Rpc as NamekoRpc

from servicekit.typed import typed

_log = logging.getLogger("servicekit.rpc")

CODE = "dependency_unavailable"
RETRY_AFTER_CONFIG_KEY = "DEPENDENCY_RETRY_AFTER"
DEFAULT_RETRY_AFTER = 5

POSTGRESQL = "postgresql"
REDIS = "redis"

MESSAGES = {
    POSTGRESQL: "The database is unavailable; try again shortly.",
    REDIS: "The cache is unavailable; try again shortly.",
}

# What publishing a reply raises when the broker went away (kombu gives up after
# its retries with OperationalError; amqp and the socket raise their own).
REPLY_LOST = (
    kombu.exceptions.OperationalError,
    kombu.exceptions.ConnectionError,  # amqp's, re-exported
    OSError,
)

# SQLSTATEs of a server that cannot serve now (PostgreSQL's "Appendix A. Error
# Codes"): class 08 connection exception, class 53 insufficient resources (too many
# connections, disk full, out of memory), admin/crash shutdown, starting up.
_PG_DOWN_CLASSES = ("08", "53")
_PG_DOWN_STATES = frozenset({"57P01", "57P02", "57P03"})

# redis-py files wrong credentials under ConnectionError: a deployment mistake, not
# an outage to wait out.
_REDIS_NOT_DOWN = (
    redis.exceptions.AuthenticationError,
    redis.exceptions.AuthorizationError,
)


def _pg_server_down(error: BaseException | None) -> bool:
    """Whether a psycopg error says the server cannot be reached or cannot serve."""
    if not isinstance(error, psycopg.OperationalError):
        # psycopg 3 raises InterfaceError for misuse (a closed cursor...); a broken
        # connection is an OperationalError, or SQLAlchemy marks it invalidated.
        return False
    sqlstate = error.sqlstate
    if sqlstate is None:
        # raised by libpq on the client side: connecting failed, the connection was
        # lost or closed; never a statement the server refused
        return True
    return sqlstate.startswith(_PG_DOWN_CLASSES) or sqlstate in _PG_DOWN_STATES


def dependency_down(exc: BaseException) -> str | None:
    """``"postgresql"`` or ``"redis"`` when ``exc`` means that store is out of
    reach (the request may succeed later, unchanged); None for any other error."""
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return POSTGRESQL
    if isinstance(exc, sa_exc.DisconnectionError):
        return POSTGRESQL
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:  # SQLAlchemy saw the connection break
            return POSTGRESQL
        if isinstance(exc, sa_exc.OperationalError) and _pg_server_down(exc.orig):
            return POSTGRESQL
        return None
    if _pg_server_down(exc):  # psycopg used without SQLAlchemy
        return POSTGRESQL
    if isinstance(
        exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError
    ):
        return None if isinstance(exc, _REDIS_NOT_DOWN) else REDIS
    return None


def unavailable_for(exc: BaseException, retry_after: int) -> Unavailable | None:
    """The error the caller gets for ``exc``, or None when ``exc`` is no outage."""
    dependency = dependency_down(exc)
    if dependency is None:
        return None
    unavailable = Unavailable(
        CODE,
        MESSAGES[dependency],
        {"retry_after": retry_after, "dependency": dependency},
    )
    unavailable.__cause__ = exc
    return unavailable


def retry_after_setting(config) -> int:
    """``DEPENDENCY_RETRY_AFTER`` from a service's config: whole seconds, at least 1."""
    value = config.get(RETRY_AFTER_CONFIG_KEY)
    if value in (None, ""):
        return DEFAULT_RETRY_AFTER
    seconds = int(value)
    if seconds < 1:
        raise ValueError(f"{RETRY_AFTER_CONFIG_KEY} must be at least 1, not {value!r}")
    return seconds


class Rpc(NamekoRpc):
    """``nameko.rpc.Rpc`` whose reply turns a store outage into ``Unavailable``."""

    def setup(self):
        self.retry_after = retry_after_setting(self.container.config)
        super().setup()

    def reply_exc_info(self, exc_info):
        """What the caller is sent for ``exc_info`` (the same, unless an outage)."""
        if exc_info is None:
            return None
        try:
            unavailable = unavailable_for(
                exc_info[1], getattr(self, "retry_after", DEFAULT_RETRY_AFTER)
            )
        except Exception:  # noqa: BLE001 - the reply must go out whatever happens
            _log.exception("could not classify %r; replying it unchanged", exc_info[1])
            return exc_info
        if unavailable is None:
            return exc_info
        # The traceback is logged by the container and the entrypoint finished line;
        # this line says what the caller was told.
        _log.warning(
            "%s unavailable (%s); answered %s",
            unavailable.details["dependency"],
            type(exc_info[1]).__name__,
            CODE,
            extra={
                "dependency": unavailable.details["dependency"],
                "error": type(exc_info[1]).__name__,
                "error_code": CODE,
            },
        )
        return (Unavailable, unavailable, exc_info[2])

    def handle_result(self, message, worker_ctx, result, exc_info):
        reply = self.reply_exc_info(exc_info)
        try:
            result, sent = self.rpc_consumer.handle_result(message, result, reply)
        except REPLY_LOST as exc:
            # Plain nameko 2 lets this kill the container: every worker of the
            # service stops and the process exits (a RabbitMQ restart took accounts
            # down). The caller waits for a reply that cannot come and times out
            # (503 at the gateway); the service lives on and its consumer
            # reconnects. The request is acked when its channel still lives, so it
            # is not run a second time.
            _log.warning(
                "the reply to %s could not be sent (the broker went away); "
                "the caller will time out: %s",
                worker_ctx.call_id,
                exc,
            )
            with contextlib.suppress(*REPLY_LOST):
                self.rpc_consumer.queue_consumer.ack_message(message)
            return result, exc_info
        if exc_info is not None and sent is reply:
            # the dependencies' worker_result (logs, metrics, spans) get the real cause
            return result, exc_info
        return result, sent


def rpc(*args, **kwargs):
    """``@rpc`` or ``@rpc(expected_exceptions=..., sensitive_arguments=...)``: the
    method registered as an :class:`Rpc` entrypoint, its arguments and reply read
    through its annotations (:func:`servicekit.typed.typed`)."""
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return Rpc.decorator(typed(args[0]))

    def register(fn):
        return Rpc.decorator(*args, **kwargs)(typed(fn))

    return register
