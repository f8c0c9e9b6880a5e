"""JSON log lines that carry the request's correlation id through every worker.

Each worker binds ``correlation_id``, ``service``, ``entrypoint``, ``call_id`` and
``parent_call_id`` for the time it runs; every line it logs carries them, and one
``entrypoint finished`` line records its kind, start, duration and outcome (the trace
command reads those lines).

Hop lines: what ``python -m servicekit.trace`` (``make trace``) joins into the path of
one request. Every hop line has ``hop``, ``correlation_id``, ``service``,
``started_at`` (ISO 8601 with offset), ``duration_ms``, ``outcome`` and an identity
(``call_id``) plus the ``parent_call_id`` of what caused it:

===============  ==========================  ==============================================
``hop``          ``message`` (who logs it)   own fields
===============  ==========================  ==============================================
``http``         ``request finished``        ``call_id`` = ``gateway.http.<request id>``,
                 (gateway middleware)        ``method``, ``route`` (template), ``status``;
                                             outcome ``ok`` | ``error`` (5xx)
``rpc``,         ``entrypoint finished``     ``call_id`` (nameko's), ``entrypoint``;
``event``,       (:class:`WorkerLogging`)    outcome ``ok`` | ``rejected`` (an expected
``timer``                                    error) | ``error``, with ``error`` (class)
                                             and ``error_code``; events add
                                             ``event_source``, ``event_type`` and
                                             ``event_id`` (from the envelope)
``outbox_relay`` ``outbox event published``  identity ``event_id`` (not ``call_id``),
                 (``outbox.OutboxRelay``)    ``event_type``; ``parent_call_id`` = the
                                             worker that emitted the event
``work_item``    ``work item finished``      one line per *attempt* of a durable work
                 (:func:`log_work_item`)     item, see below
===============  ==========================  ==============================================

Durable work items (verification's identity checks, otp's SMS sending) log one
``work item finished`` line per attempt through :func:`log_work_item`, never by hand:

- ``hop``: ``"work_item"``; ``service``: the service running it;
- ``work_item``: the kind (``"send_sms"``, ``"verify_identity"``);
  ``work_item_id``: the item's durable id; ``attempt``: 1, 2, ...;
- ``call_id``: ``"<service>.work.<kind>.<work_item_id>.<attempt>"`` (unique per
  attempt; RPCs and events the attempt makes carry it as their parent);
- ``parent_call_id``: the call id of the worker that *enqueued* the item (store it
  with the item, as the outbox stores ``call_id_stack``); ``correlation_id``: the
  request's, stored the same way;
- ``started_at``, ``duration_ms``; ``outcome``: ``ok`` (done), ``retry`` (failed,
  tried again at ``next_attempt_at``) or ``failed`` (gave up; needs a person);
  ``error``: the exception's class name only (a message may hold personal data).

No hop line ever holds arguments, phone numbers, document numbers, codes or names.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

_CONTEXT_FIELDS = (
    "correlation_id",
    "service",
    "entrypoint",
    "call_id",
    "parent_call_id",
)

# A greenthread-local under eventlet's monkey patching (nameko run patches first).
_current = threading.local()

_log = logging.getLogger("servicekit.worker")


def bind(**fields: str | None) -> None:
    """Attach fields to every line this thread (greenthread) logs."""
    for key, value in fields.items():
        setattr(_current, key, value)


def clear() -> None:
    for key in _CONTEXT_FIELDS:
        if hasattr(_current, key):
            delattr(_current, key)


class ContextFilter(logging.Filter):
    """Copies the bound worker fields onto each record (never overrides extras)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key in _CONTEXT_FIELDS:
            if not hasattr(record, key):
                setattr(record, key, getattr(_current, key, None))
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: ts, level, logger, message and every extra field."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "ts")
        super().__init__(*args, **kwargs)


def entrypoint_kind(entrypoint) -> str:
    """The ``hop`` of a worker: nameko's own entrypoints by class; servicekit's own
    entrypoints name theirs in a ``hop`` class attribute, so this module imports
    none of them (logging sits below the work queue, never beside it)."""
    declared = getattr(type(entrypoint), "hop", None)
    if isinstance(declared, str):
        return declared
    if isinstance(entrypoint, Rpc):
        return "rpc"
    if isinstance(entrypoint, EventHandler):
        return "event"
    if isinstance(entrypoint, Timer):
        return "timer"
    return type(entrypoint).__name__.lower()


def outcome_of(entrypoint, exc_info) -> str:
    """``ok``, ``rejected`` (an expected error: the caller's mistake) or ``error``."""
    if exc_info is None:
        return "ok"
    if isinstance(exc_info[1], entrypoint.expected_exceptions or ()):
        return "rejected"
    return "error"


class WorkerLogging(DependencyProvider):
    """Binds the worker's context to its log lines and logs how each worker ended."""

    def setup(self):
        self._started: dict = {}

    def get_dependency(self, worker_ctx):
        return _log

    def worker_setup(self, worker_ctx):
        stack = worker_ctx.call_id_stack or []
        bind(
            correlation_id=worker_ctx.data.get("correlation_id"),
            service=self.container.service_name,
            entrypoint=worker_ctx.entrypoint.method_name,
            call_id=worker_ctx.call_id,
            parent_call_id=stack[-2] if len(stack) > 1 else None,
        )
        self._started[worker_ctx] = (time.time(), time.perf_counter())

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        wall, perf = self._started.pop(worker_ctx, (time.time(), time.perf_counter()))
        entrypoint = worker_ctx.entrypoint
        if exc_info is None:
            outcome = "ok"
        elif isinstance(exc_info[1], entrypoint.expected_exceptions or ()):
            outcome = "rejected"
        else:
            outcome = "error"
        extra = {
            "hop": entrypoint_kind(entrypoint),
            "started_at": datetime.fromtimestamp(wall, UTC).isoformat(),
            "duration_ms": round((time.perf_counter() - perf) * 1000, 3),
            "outcome": outcome,
        }
        if exc_info is not None:
            extra["error"] = type(exc_info[1]).__name__
            extra["error_code"] = getattr(exc_info[1], "error_code", None)
        if entrypoint_kind(entrypoint) == "event":
            extra["event_source"] = entrypoint.source_service
            extra["event_type"] = entrypoint.event_type
            envelope = worker_ctx.args[0] if worker_ctx.args else None
            if isinstance(envelope, dict) and envelope.get("event_id"):
                extra["event_id"] = str(envelope["event_id"])
        level = logging.ERROR if outcome == "error" else logging.INFO
        _log.log(
            level,
            "entrypoint finished",
            extra=extra,
            exc_info=exc_info if outcome == "error" else None,
        )

    def worker_teardown(self, worker_ctx):
        clear()


WORK_ITEM_OUTCOMES = ("ok", "retry", "failed")


def work_item_call_id(service: str, kind: str, item_id: str, attempt: int) -> str:
    """The ``call_id`` of one attempt of a durable work item."""
    return f"{service}.work.{kind}.{item_id}.{attempt}"


def log_work_item(
    *,
    service: str,
    kind: str,
    item_id: str,
    attempt: int,
    correlation_id: str | None,
    parent_call_id: str | None,
    started_at: datetime,
    duration_ms: float,
    outcome: str,
    next_attempt_at: datetime | None = None,
    error: BaseException | None = None,
    logger: logging.Logger | None = None,
) -> None:
    """Log the ``work item finished`` line of one attempt (the shape in the module
    docstring); the trace command shows it under the worker that enqueued the item."""
    if outcome not in WORK_ITEM_OUTCOMES:
        raise ValueError(f"outcome must be one of {WORK_ITEM_OUTCOMES}")
    extra = {
        "hop": "work_item",
        "service": service,
        "work_item": kind,
        "work_item_id": str(item_id),
        "attempt": attempt,
        "call_id": work_item_call_id(service, kind, str(item_id), attempt),
        "parent_call_id": parent_call_id,
        "correlation_id": correlation_id,
        "entrypoint": kind,
        "started_at": started_at.astimezone(UTC).isoformat(),
        "duration_ms": round(duration_ms, 3),
        "outcome": outcome,
    }
    if next_attempt_at is not None:
        extra["next_attempt_at"] = next_attempt_at.astimezone(UTC).isoformat()
    if error is not None:
        extra["error"] = type(error).__name__
        extra["error_code"] = getattr(error, "error_code", None)
    level = logging.WARNING if outcome == "failed" else logging.INFO
    (logger or logging.getLogger("servicekit.work")).log(
        level, "work item finished", extra=extra
    )
