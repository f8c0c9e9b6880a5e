"""The base of every service's typed client: one method per RPC, models in and out.

A service's contract is its client class (``AccountsClient``, ``OtpClient``...):
each method names one RPC, takes its arguments (models or plain values) and returns
its reply model. The docstring is the contract: what the RPC does, what it
returns, what it raises. A caller builds the client over a *transport* (the
gateway's RPC pool, or a service's timed nameko proxy) and never names a method by
string; go-to-definition from a caller reaches the contract.

The transport is ``call(method, kwargs) -> result``: ``kwargs`` already JSON-ready,
``result`` the service's JSON reply, errors raised as the contract error classes
(``contracts.errors``). The service side checks the same models
(``servicekit.rpc``), and a contract test checks both sides agree.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel, TypeAdapter

from contracts.base import PingResult
from contracts.models import dump

Transport = Callable[[str, dict[str, Any]], Any]


class ServiceClient:
    """Calls one service's RPCs through ``transport``.

    Subclasses set ``name`` (the service), ``events`` (the event models it emits)
    and write one method per RPC: ``return self._call("method", locals())``.
    """

    name: ClassVar[str] = ""
    events: ClassVar[tuple[type, ...]] = ()

    def __init__(self, transport: Transport):
        self._transport = transport

    def _call(self, method: str, arguments: dict[str, Any]) -> Any:
        """Send ``arguments`` (a method's ``locals()``) to ``method``; the reply is
        read as the method's declared return type."""
        kwargs = {k: dump(v) for k, v in arguments.items() if k != "self"}
        result = self._transport(method, kwargs)
        return reply_reader(type(self), method)(result)

    def ping(self) -> PingResult:
        """Report the service's version and whether each of its own stores answers.

        Never raises for a store that is down: ``stores`` says which one, ``ok`` is
        false.
        """
        return self._call("ping", locals())


def reply_type(client: type[ServiceClient], method: str) -> Any:
    """The declared return type of ``client.method`` (resolved annotations)."""
    return typing.get_type_hints(getattr(client, method)).get("return")


def rpc_methods(client: type[ServiceClient]) -> dict[str, inspect.Signature]:
    """Every RPC of a client: its public methods, ``ping`` included."""
    methods = {}
    for klass in reversed(client.__mro__):
        if klass is object or not issubclass(klass, ServiceClient):
            continue
        for attr, value in vars(klass).items():
            if inspect.isfunction(value) and not attr.startswith("_"):
                methods[attr] = inspect.signature(value)
    return methods


@functools.cache
def reply_reader(client: type[ServiceClient], method: str) -> Callable[[Any], Any]:
    """How ``client.method``'s reply is read: worked out once per method (resolving
    annotations and building a validator cost more than reading one reply)."""
    kind = reply_type(client, method)
    if kind is None or kind is type(None) or kind is Any:
        return _as_is
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return kind.model_validate
    return TypeAdapter(kind).validate_python


def _as_is(result: Any) -> Any:
    return result
