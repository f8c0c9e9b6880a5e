"""What every use case of accounts receives: its collaborators and its settings.

The use cases are plain functions (Cosmic Python): each takes a :class:`Deps`, so a
test passes real collaborators or fakes and no use case imports Nameko. The service
builds one per call (``service.py``); the CLI builds one for the reviewer command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from contracts.events import Event
from contracts.otp import OtpClient

from accounts import passwords
from accounts.login_guard import LoginGuard, LoginPolicy
from accounts.repository import Repository
from accounts.settings import AccountsSettings

# China has one time zone and no daylight saving: "today" for document dates.
CHINA = timezone(timedelta(hours=8), "CST")


# The defaults of AccountsSettings (accounts/settings.py), where they are written
# once; the environment is not read here (the service passes what it read).
_DEFAULTS = AccountsSettings.written_defaults()


@dataclass(frozen=True)
class Settings:
    """The numbers of accounts' rules, taken from :class:`AccountsSettings`
    (:meth:`from_values`); a test or the CLI overrides only what it needs."""

    agreement_versions: dict[str, str] = field(
        default_factory=lambda: _agreement_versions(_DEFAULTS)
    )
    # The login thresholds, read only by LoginGuard (the service builds the guard
    # from this policy).
    login: LoginPolicy = field(default_factory=_DEFAULTS.login_policy)
    # Lifetime of a temporary password: a reviewer's (made by the CLI,
    # TEMPORARY_PASSWORD_HOURS) and an approved appeal's
    # (APPEAL_TEMPORARY_PASSWORD_HOURS).
    temporary_password_hours: int = _DEFAULTS.temporary_password_hours
    appeal_temporary_password_hours: int = _DEFAULTS.appeal_temporary_password_hours
    # Flow 7: active agents per organisation, and whether only a verified
    # (real_name_status passed) organisation may designate them.
    agents_per_organization: int = _DEFAULTS.agents_per_organization
    agents_require_verified_organization: bool = (
        _DEFAULTS.agents_require_verified_organization
    )
    # Corrections of a unique key after a failed check, per account and day.
    identity_corrections_per_day: int = _DEFAULTS.identity_corrections_per_day

    # Per document or organisation code asked about, per hour
    # (accounts.target_quotas): the document check, and a registration.
    document_checks_per_document_per_hour: int = (
        _DEFAULTS.document_checks_per_document_per_hour
    )
    registrations_per_document_per_hour: int = (
        _DEFAULTS.registrations_per_document_per_hour
    )

    # After this day, a weak imported hash opens no session (LEGACY_WEAK_HASH_DEADLINE).
    legacy_weak_hash_deadline: date | None = _DEFAULTS.legacy_weak_hash_deadline

    @classmethod
    def from_values(cls, values: AccountsSettings) -> Settings:
        """The rules' numbers of a process, from the settings it read."""
        return cls(
            agreement_versions=_agreement_versions(values),
            login=values.login_policy(),
            temporary_password_hours=values.temporary_password_hours,
            appeal_temporary_password_hours=values.appeal_temporary_password_hours,
            agents_per_organization=values.agents_per_organization,
            agents_require_verified_organization=(
                values.agents_require_verified_organization
            ),
            identity_corrections_per_day=values.identity_corrections_per_day,
            document_checks_per_document_per_hour=(
                values.document_checks_per_document_per_hour
            ),
            registrations_per_document_per_hour=(
                values.registrations_per_document_per_hour
            ),
            legacy_weak_hash_deadline=values.legacy_weak_hash_deadline,
        )


def _agreement_versions(values: AccountsSettings) -> dict[str, str]:
    return {
        "person": values.person_agreement_version,
        "organization": values.organization_agreement_version,
    }


@dataclass
class Deps:
    """The collaborators of a use case; a command that needs fewer gets ``None``."""

    repo: Repository
    cipher: Any  # servicekit.crypto.PersonalDataCipher
    hasher: passwords.PasswordHasher
    otp: OtpClient  # over servicekit.calls.TimedCaller (accounts.dependencies)
    sessions: Any  # accounts.sessions.SessionStore
    guard: LoginGuard
    emit: Callable[[Event], str]  # servicekit's WorkerDatabase.emit
    settings: Settings
    clock: Callable[[], datetime]
    # servicekit.ratelimit.FixedWindows ("accounts:quota"): accounts.target_quotas;
    # None where no use case counts one (the CLI)
    quotas: Any = None

    def today(self) -> date:
        return self.clock().astimezone(CHINA).date()
