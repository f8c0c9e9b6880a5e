"""Collecting the domain field errors of one request, then raising them together.

The *shape* of a request (types, lengths, formats) is checked by its model in
``contracts.accounts`` before a use case runs; what is collected here are the rules
only accounts can judge (the password rule, a document's check character, a
taken login name...), reported the same way: 422 ``validation_failed`` with
``errors``.
"""

from __future__ import annotations

from contracts.errors import InvalidInput, field_error
from contracts.models import invalid


class FieldErrors:
    def __init__(self, prefix: str = ""):
        self.errors: list[dict] = []
        self.prefix = prefix

    def add(self, field: str, code: str, message: str) -> None:
        self.errors.append(field_error(self.prefix + field, code, message))

    def nested(self, prefix: str) -> FieldErrors:
        """The same list, with field names under ``prefix.``."""
        child = FieldErrors(self.prefix + prefix + ".")
        child.errors = self.errors
        return child

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise invalid(self.errors)


def single(field: str, code: str, message: str) -> InvalidInput:
    return invalid([field_error(field, code, message)])
