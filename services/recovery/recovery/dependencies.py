"""This service's own dependency providers and adapters."""

from __future__ import annotations

from nameko.extensions import DependencyProvider
from servicekit.calls import TimedCaller

from recovery.appeals import AppealSettings
from recovery.resets import ResetSettings


class Remote:
    """Another service's RPCs with a deadline, keyword calls only, through
    servicekit's one timed adapter: a slow, missing or broken service becomes
    ``Unavailable`` (``dependency_unavailable``, 503 with Retry-After at the
    gateway); a service's own errors (``ServiceError``) pass through unchanged.
    """

    def __init__(self, proxy, service: str, timeout: float):
        self.caller = TimedCaller(proxy, service, timeout)

    def __getattr__(self, method: str):
        def call(**kwargs):
            return self.caller.call(method, kwargs)

        return call


class Settings(DependencyProvider):
    """The settings the use cases need, read once at start."""

    def setup(self):
        config = self.container.config
        self.value = {
            "reset": ResetSettings(
                ttl_seconds=int(config.get("RESET_TTL_SECONDS", 900)),
                max_attempts=int(config.get("RESET_MAX_ATTEMPTS", 5)),
                keep_seconds=int(config.get("RESET_KEEP_SECONDS", 3600)),
                client_per_hour=int(config.get("RECOVERY_CLIENT_PER_HOUR", 60)),
                subject_per_hour=int(config.get("RECOVERY_SUBJECT_PER_HOUR", 10)),
            ),
            "appeal": AppealSettings(
                max_file_bytes=int(config.get("APPEAL_MAX_FILE_BYTES", 1024 * 1024)),
                max_pixels=int(config.get("APPEAL_MAX_PIXELS", 25_000_000)),
                retention_seconds=float(
                    config.get("APPEAL_FILE_RETENTION_SECONDS", 2592000)
                ),
                client_per_hour=int(config.get("RECOVERY_CLIENT_PER_HOUR", 60)),
                subject_per_hour=int(config.get("RECOVERY_SUBJECT_PER_HOUR", 10)),
                lookup_ttl_seconds=int(config.get("ORG_LOOKUP_TTL_SECONDS", 1800)),
            ),
            "rpc_timeout": float(config.get("RECOVERY_RPC_TIMEOUT", 5.0)),
            "work_rpc_timeout": float(config.get("RECOVERY_WORK_RPC_TIMEOUT", 5.0)),
        }
        lease = float(config.get("WORK_LEASE_SECONDS", 60))
        if 2 * self.value["work_rpc_timeout"] >= lease / 2:
            # a work item makes two calls: together they must end well inside the
            # lease, or a second copy could run the same item at once
            raise ValueError(
                "RECOVERY_WORK_RPC_TIMEOUT must be under a quarter of WORK_LEASE_SECONDS"
            )

    def get_dependency(self, worker_ctx) -> dict:
        return self.value
