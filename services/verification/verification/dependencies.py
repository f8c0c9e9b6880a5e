"""This service's own dependency providers and adapters."""

from __future__ import annotations

import logging

import eventlet
from nameko.extensions import DependencyProvider

from verification.authority import IdentityAuthority, authority_from_config
from verification.cases import ImageLimits, SubjectUnavailable

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

    nameko's RPC proxy waits forever; a timeout (shorter than the work lease) turns
    a slow or missing accounts into :class:`SubjectUnavailable`, so the work item is
    retried instead of hanging past its lease.
    """

    def __init__(self, accounts_proxy, timeout: float):
        self.accounts = accounts_proxy
        self.timeout = timeout

    def get(self, account_id: str) -> dict:
        try:
            with eventlet.Timeout(
                self.timeout, SubjectUnavailable("accounts timed out")
            ):
                return self.accounts.get_verification_subject(account_id=account_id)
        except SubjectUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure is retried later
            # fail "later", never "failed": an error here is not a verdict. The class
            # only: a remote message is not ours to log.
            raise SubjectUnavailable(type(exc).__name__) from None
