"""An RPC method's arguments and reply read through its annotations.

``servicekit.rpc.rpc`` wraps every entrypoint with :func:`typed`: an argument
annotated with a ``contracts`` model arrives as that model (a dict from the wire
is parsed; every field error at once, as ``InvalidInput``), an argument of a plain
annotated type (``str``, ``Literal[...]``) is checked against it, and the reply is
read as the declared return type and sent as JSON-ready data. So the shapes a
service accepts and answers are exactly its contract's models, checked in one place.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any

from contracts.models import REQUIRED, dump, field_errors, invalid, parse
from pydantic import BaseModel, TypeAdapter, ValidationError


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _reader(annotation: Any, name: str) -> Callable[[Any], Any] | None:
    if annotation is Any:
        return None
    if _is_model(annotation):
        return functools.partial(parse, annotation)
    adapter = TypeAdapter(annotation)  # built once, at import
    return functools.partial(_check_value, adapter, name)


def _check_value(adapter: TypeAdapter, name: str, value: Any) -> Any:
    """A plain argument: any error, a missing value too, is ``<name>_invalid``
    (or a rule's own code), and the first one is on top, as services answered
    before their arguments were typed."""
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        errors = field_errors(exc, root=name)
        for error in errors:
            if error["code"] == REQUIRED:
                error["code"] = f"{name}_invalid"
        raise invalid(errors, first_on_top=True) from None


def _writer(annotation: Any) -> Callable[[Any], Any]:
    if annotation in (None, type(None), Any):
        return dump
    adapter = TypeAdapter(annotation)

    def write(result: Any) -> Any:
        if _is_model(annotation) and isinstance(result, annotation):
            return result.dump()
        return dump(adapter.validate_python(result))

    return write


def typed(fn: Callable) -> Callable:
    """``fn`` with its annotated arguments parsed and its reply written as JSON data.

    The wrapper keeps ``fn``'s signature (``__signature__``), so nameko's signature
    check and ``sensitive_arguments`` see the real parameters.
    """
    hints = typing.get_type_hints(fn, include_extras=True)  # keep Annotated rules
    signature = inspect.signature(fn)
    readers = {
        name: reader
        for name in signature.parameters
        if name in hints and (reader := _reader(hints[name], name)) is not None
    }
    write = _writer(hints.get("return", Any))

    @functools.wraps(fn)
    def entrypoint(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        for name, read in readers.items():
            if name in bound.arguments:
                bound.arguments[name] = read(bound.arguments[name])
        return write(fn(*bound.args, **bound.kwargs))

    entrypoint.__signature__ = signature  # type: ignore[attr-defined]
    return entrypoint
