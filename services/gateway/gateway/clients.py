"""The services' typed clients (``contracts``) over the gateway's RPC pool.

A resource holds ``ctx.client(AccountsClient)`` and calls its methods; each call
goes through the pool with the request's context (correlation id, trace), and
replies come back as the contract's models.
"""

from __future__ import annotations

from typing import Any, TypeVar

from contracts.client import ServiceClient

from gateway.middleware import rpc_context

C = TypeVar("C", bound=ServiceClient)


def service_client(rpc, client_class: type[C], timeout: float | None = None) -> C:
    """``client_class`` calling its service through ``rpc`` (an ``RpcPool``);
    ``timeout`` replaces the pool's deadline (uploads take longer)."""

    deadline = {} if timeout is None else {"timeout": timeout}

    def transport(method: str, kwargs: dict[str, Any]) -> Any:
        return rpc.call(
            client_class.name, method, context=rpc_context(), **deadline, **kwargs
        )

    return client_class(transport)
