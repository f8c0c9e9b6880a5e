"""What the service builds from its settings at start, and its adapters of accounts."""

from __future__ import annotations

from contracts.accounts import AccountsClient, ClaimedIdentity, VerificationSubject
from servicekit.calls import TimedCaller

from verification.cases import SubjectUnavailable
from verification.settings import VerificationSettings


def use_case_settings(config: dict) -> dict:
    """The few settings the use cases need (``VerificationSettings``), read once
    at start."""
    settings = VerificationSettings.from_config(config)
    return {
        "image_limits": settings.image_limits,
        "subject_timeout": settings.subject_rpc_timeout,
        "retention_seconds": settings.material_retention_seconds,
    }


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


class AccountsClaims:
    """What an account claims to be, from accounts' ``claimed_identity_for_review``
    RPC, for the reviewer who opens its case.

    Through the same timed adapter (``SUBJECT_RPC_TIMEOUT``): accounts' answers
    (``Forbidden`` ``reviewer_required``, ``NotFound``) pass through, a slow or
    missing accounts is ``Unavailable`` (503 at the gateway). Unlike the subject
    of the automatic check there is nothing to retry later: the reviewer asks
    again.
    """

    def __init__(self, accounts_proxy, timeout: float):
        self.accounts = AccountsClient(
            TimedCaller(accounts_proxy, "accounts", timeout).call
        )

    def get(self, account_id: str, reviewer_id: str) -> ClaimedIdentity:
        return self.accounts.claimed_identity_for_review(account_id, reviewer_id)
