"""Errors that cross service boundaries.

Every error a service raises on purpose subclasses :class:`ServiceError`. Each class is
registered with nameko's exception registry, so an RPC caller gets an instance of the
same class back (not a ``RemoteError``), with the same ``code`` and ``details``.
The gateway maps each class to an HTTP status in one table (``gateway/errors.py``).
"""

from __future__ import annotations

import json
from typing import Any

from nameko.exceptions import get_module_path, registry


class ServiceError(Exception):
    """Base of every expected error. ``code`` is stable and machine-readable."""

    code = "service_error"

    def __init__(
        self,
        code: str | None = None,
        message: str = "",
        details: dict | str | None = None,
    ):
        # nameko sends ``exc.args`` over RPC and turns every non-string inside them
        # into a string (``safe_for_serialization``): ``{"retry_after": 42}`` would
        # arrive as ``{"retry_after": "42"}``. So details travel as JSON text, and
        # the caller's rebuilt error (``cls(*args)``) parses them back.
        if isinstance(details, str):
            details = json.loads(details)
        encoded = json.dumps(details or {}, ensure_ascii=False, default=str)
        super().__init__(code or self.code, message, encoded)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        registry[get_module_path(cls)] = cls

    @property
    def error_code(self) -> str:
        return self.args[0]

    @property
    def message(self) -> str:
        return self.args[1]

    @property
    def details(self) -> dict:
        return json.loads(self.args[2])

    def __str__(self) -> str:
        return f"{self.error_code}: {self.message}" if self.message else self.error_code


registry[get_module_path(ServiceError)] = ServiceError


class InvalidInput(ServiceError):
    """The request is well formed but its values break a rule.

    ``details["errors"]`` lists ``{field, code, message}`` for field errors.
    """

    code = "validation_failed"


class NotFound(ServiceError):
    code = "not_found"


class Conflict(ServiceError):
    """The request clashes with the current state (already done, out of order)."""

    code = "conflict"


class Gone(ServiceError):
    """The thing existed but has expired."""

    code = "gone"


class Unauthenticated(ServiceError):
    code = "unauthenticated"


class Forbidden(ServiceError):
    code = "forbidden"


class Locked(ServiceError):
    """``details["retry_after"]`` seconds until the lock ends."""

    code = "locked"


class CaptchaRequired(ServiceError):
    code = "captcha_required"


class RateLimited(ServiceError):
    """``details["retry_after"]`` seconds until the caller may try again."""

    code = "rate_limited"


class Unavailable(ServiceError):
    """A dependency the service needs is down; the caller may retry later."""

    code = "unavailable"


def field_error(field: str, code: str, message: str) -> dict:
    """One entry of ``InvalidInput.details["errors"]``."""
    return {"field": field, "code": code, "message": message}


def invalid_fields(errors: list[dict], **details: Any) -> InvalidInput:
    """Every field error at once (``details["errors"]``, with ``details``); the
    first one names the answer's code and message."""
    first = errors[0]
    return InvalidInput(first["code"], first["message"], {"errors": errors, **details})
