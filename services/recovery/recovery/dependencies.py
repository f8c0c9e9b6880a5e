"""This service's own dependency providers and adapters."""

from __future__ import annotations

from nameko.extensions import DependencyProvider
from servicekit.calls import TimedCaller

from recovery.settings import RecoverySettings


class Remote:
    """Another service's RPCs with a deadline, keyword calls only, through
    servicekit's one timed adapter: a slow, missing or broken service becomes
    ``Unavailable`` (``dependency_unavailable``, 503 with Retry-After at the
    gateway); a service's own errors (``ServiceError``) pass through unchanged.
    """

    def __init__(self, proxy, service: str, timeout: float):
        self.caller = TimedCaller(proxy, service, timeout)

    def call(self, method: str, kwargs: dict):
        """``method(**kwargs)`` with the deadline: a typed client's transport
        (``OtpClient(remote.call)``)."""
        return getattr(self, method)(**kwargs)

    def __getattr__(self, method: str):
        def call(**kwargs):
            return self.caller.call(method, kwargs)

        return call


class Settings(DependencyProvider):
    """The settings the use cases need, read once at start (``RecoverySettings``)."""

    def setup(self):
        settings = RecoverySettings.from_config(self.container.config)
        self.value = {
            "reset": settings.reset,
            "appeal": settings.appeal,
            "rpc_timeout": settings.rpc_timeout,
            "work_rpc_timeout": settings.work_rpc_timeout,
        }

    def get_dependency(self, worker_ctx) -> dict:
        return self.value
