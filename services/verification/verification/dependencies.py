"""This service's own dependency providers and adapters."""

from __future__ import annotations

from contracts.accounts import AccountsClient, VerificationSubject
from nameko.extensions import DependencyProvider
from servicekit.calls import TimedCaller

from verification.authority import IdentityAuthority, authority_from_config
from verification.cases import SubjectUnavailable
from verification.settings import VerificationSettings


class Authority(DependencyProvider):
    """Injects the configured :class:`IdentityAuthority` (``AUTHORITY_*`` settings)."""

    def setup(self):
        self.authority = authority_from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> IdentityAuthority:
        return self.authority


class Settings(DependencyProvider):
    """The few settings the use cases need, read once (``VerificationSettings``)."""

    def setup(self):
        settings = VerificationSettings.from_config(self.container.config)
        self.value = {
            "image_limits": settings.image_limits,
            "subject_timeout": settings.subject_rpc_timeout,
            "retention_seconds": settings.material_retention_seconds,
        }

    def get_dependency(self, worker_ctx) -> dict:
        return self.value


class AccountsSubjects:
    """The verification subject, from accounts' ``get_verification_subject`` RPC.

    Asked through accounts' typed client over servicekit's timed adapter, with a
    timeout shorter than the work lease; any failure (accounts slow, missing,
    broken, answering an error, or a reply that is not a ``VerificationSubject``)
    becomes :class:`SubjectUnavailable`, so the work item is retried instead of
    hanging past its lease. Never "failed": an error here is not a verdict.
    """

    def __init__(self, accounts_proxy, timeout: float):
        self.accounts = AccountsClient(
            TimedCaller(accounts_proxy, "accounts", timeout).call
        )

    def get(self, account_id: str) -> VerificationSubject:
        try:
            return self.accounts.get_verification_subject(account_id)
        except Exception as exc:  # noqa: BLE001 - any failure is retried later
            # the code or class only: a remote message is not ours to log
            raise SubjectUnavailable(
                getattr(exc, "error_code", None) or type(exc).__name__
            ) from None
