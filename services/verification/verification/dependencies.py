"""This service's own dependency providers and adapters."""

from __future__ import annotations

import logging

from nameko.extensions import DependencyProvider
from servicekit.calls import TimedCaller

from verification.authority import IdentityAuthority, authority_from_config
from verification.handlers import ImageLimits, SubjectUnavailable

_log = logging.getLogger("verification.dependencies")


class Authority(DependencyProvider):
    """Injects the configured :class:`IdentityAuthority` (``AUTHORITY_*`` settings)."""

    def setup(self):
        self.authority = authority_from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> IdentityAuthority:
        return self.authority


class Settings(DependencyProvider):
    """The few settings the use cases need, read once."""

    def setup(self):
        config = self.container.config
        self.value = {
            "image_limits": ImageLimits(
                max_bytes=int(config.get("MATERIAL_MAX_BYTES", 1024 * 1024)),
                max_pixels=int(config.get("MATERIAL_MAX_PIXELS", 25_000_000)),
            ),
            "subject_timeout": float(config.get("SUBJECT_RPC_TIMEOUT", 5.0)),
            "retention_seconds": float(
                config.get("MATERIAL_RETENTION_SECONDS", 2592000)
            ),
        }
        lease = float(config.get("WORK_LEASE_SECONDS", 60))
        if self.value["subject_timeout"] >= lease / 2:
            # a call that may outlive the lease could let a second copy run the
            # same case at once: refuse to start rather than risk it
            raise ValueError(
                "SUBJECT_RPC_TIMEOUT must be under half WORK_LEASE_SECONDS"
            )

    def get_dependency(self, worker_ctx) -> dict:
        return self.value


class AccountsSubjects:
    """The verification subject, from accounts' ``get_verification_subject`` RPC.

    Called through servicekit's timed adapter with a timeout shorter than the work
    lease; any failure (accounts slow, missing, broken, or answering an error)
    becomes :class:`SubjectUnavailable`, so the work item is retried instead of
    hanging past its lease. Never "failed": an error here is not a verdict.
    """

    def __init__(self, accounts_proxy, timeout: float):
        self.caller = TimedCaller(accounts_proxy, "accounts", timeout)

    def get(self, account_id: str) -> dict:
        try:
            return self.caller.call(
                "get_verification_subject", {"account_id": account_id}
            )
        except Exception as exc:  # noqa: BLE001 - any failure is retried later
            # the code or class only: a remote message is not ours to log
            raise SubjectUnavailable(
                getattr(exc, "error_code", None) or type(exc).__name__
            ) from None
