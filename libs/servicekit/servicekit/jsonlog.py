"""JSON log lines that carry the request's correlation id through every worker.

Each worker binds ``correlation_id``, ``service``, ``entrypoint``, ``call_id`` and
``parent_call_id`` for the time it runs; every line it logs carries them, and one
``entrypoint finished`` line records its kind, start, duration and outcome (the trace
command reads those lines).
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

from servicekit.workqueue import WorkItemEntrypoint

_CONTEXT_FIELDS = ("correlation_id", "service", "entrypoint", "call_id", "parent_call_id")

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
    if isinstance(entrypoint, Rpc):
        return "rpc"
    if isinstance(entrypoint, EventHandler):
        return "event"
    if isinstance(entrypoint, Timer):
        return "timer"
    if isinstance(entrypoint, WorkItemEntrypoint):
        return "work"
    return type(entrypoint).__name__.lower()


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
        level = logging.ERROR if outcome == "error" else logging.INFO
        _log.log(
            level,
            "entrypoint finished",
            extra=extra,
            exc_info=exc_info if outcome == "error" else None,
        )

    def worker_teardown(self, worker_ctx):
        clear()
