"""One timed adapter for service-to-service RPCs.

nameko 2's ``RpcProxy`` waits for ever for a reply. A service calling another
(accounts → otp, recovery → accounts/otp, verification → accounts) wraps its
proxy in :class:`TimedCaller`, so that a slow, missing or broken callee becomes one
error its own caller can act on:

- the callee's contract errors (``contracts.errors.ServiceError``, rebuilt by
  nameko from its registry) pass through unchanged: they are answers;
- no answer within ``timeout`` seconds, the callee not running
  (``UnknownService``), or a failure its contract does not name (``RemoteError``:
  a bug, a method it does not have yet; a transport error) become
  ``Unavailable`` with code :data:`CODE` (``dependency_unavailable``, the same
  code a service answers when its own PostgreSQL or Redis is down) and
  ``retry_after`` :data:`RETRY_AFTER`, which the gateway turns into 503 with
  ``Retry-After``.

A reply that arrives after the deadline is dropped by nameko's reply listener.
Typed clients (``contracts``) call :meth:`TimedCaller.call` as their transport.
"""

from __future__ import annotations

import logging
from typing import Any

import eventlet
from contracts.errors import ServiceError, Unavailable
from nameko.exceptions import UnknownService

# One code and one default wait for "a dependency is down", whether the dependency
# is the service's own store (servicekit.rpc) or another service (here).
from servicekit.rpc import CODE
from servicekit.rpc import DEFAULT_RETRY_AFTER as RETRY_AFTER

_log = logging.getLogger("servicekit.calls")


class TimedCaller:
    """Calls ``service``'s RPCs through ``proxy`` with a deadline of ``timeout``."""

    def __init__(self, proxy: Any, service: str, timeout: float):
        self.proxy = proxy
        self.service = service
        self.timeout = timeout

    def call(self, method: str, kwargs: dict[str, Any]) -> Any:
        """``service.method(**kwargs)``'s reply; raises the callee's
        ``ServiceError`` as it is, anything else as ``Unavailable`` (:data:`CODE`).
        """
        deadline = eventlet.Timeout(self.timeout)
        try:
            return getattr(self.proxy, method)(**kwargs)
        except ServiceError:
            raise
        except eventlet.Timeout as timeout:
            if timeout is not deadline:  # someone else's deadline: not ours to map
                raise
            raise self._unavailable("did not answer") from None
        except UnknownService:
            raise self._unavailable("is not running") from None
        except Exception as exc:  # noqa: BLE001 - any other failure is the callee's
            # The class only: a remote message is not ours to log (it may hold
            # what the caller sent).
            _log.error(
                "%s.%s failed: %s",
                self.service,
                method,
                getattr(exc, "exc_type", None) or type(exc).__name__,
            )
            raise self._unavailable("failed") from None
        finally:
            deadline.cancel()

    def _unavailable(self, what: str) -> Unavailable:
        return Unavailable(
            CODE,
            f"The {self.service} service {what}; try again shortly.",
            {"retry_after": RETRY_AFTER},
        )
