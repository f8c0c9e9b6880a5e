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

# China has one time zone and no daylight saving: "today" for document dates.
CHINA = timezone(timedelta(hours=8), "CST")


@dataclass(frozen=True)
class Settings:
    """The numbers of accounts' rules, read from ``config.yml`` (``dependencies.py``)."""

    agreement_versions: dict[str, str] = field(
        default_factory=lambda: {"person": "2024-01", "organization": "2024-01"}
    )
    # The login thresholds, read only by LoginGuard (the service builds the guard
    # from this policy).
    login: LoginPolicy = field(default_factory=LoginPolicy)
    # Lifetime of a temporary password: a reviewer's (made by the CLI,
    # TEMPORARY_PASSWORD_HOURS) and an approved appeal's
    # (APPEAL_TEMPORARY_PASSWORD_HOURS).
    temporary_password_hours: int = 72
    appeal_temporary_password_hours: int = 24
    # Flow 7: active agents per organisation, and whether only a verified
    # (real_name_status passed) organisation may designate them.
    agents_per_organization: int = 20
    agents_require_verified_organization: bool = True


@dataclass
class Deps:
    """The collaborators of a use case; a command that needs fewer gets ``None``."""

    repo: Repository
    cipher: Any  # servicekit.crypto.PersonalDataCipher
    hasher: passwords.PasswordHasher
    otp: OtpClient  # over accounts.dependencies.TimedOtp
    sessions: Any  # accounts.sessions.SessionStore
    guard: LoginGuard
    emit: Callable[[Event], str]  # servicekit's WorkerDatabase.emit
    settings: Settings
    clock: Callable[[], datetime]

    def today(self) -> date:
        return self.clock().astimezone(CHINA).date()
