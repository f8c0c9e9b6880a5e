"""accounts' settings: one pydantic-settings class, every default written once, here.

Read by :meth:`AccountsSettings.from_config` (the container config, then the
environment, then these defaults; see ``servicekit.settings``). The service
(``dependencies.Runtime``), its CLI and the tests build their objects from it:
the login guard's thresholds (:meth:`AccountsSettings.login_policy`), the password
hasher, the session lifetimes and the rules' numbers (``deps.Settings``), so no
other module repeats a default. ``config.yml`` keeps Nameko's and servicekit's keys.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pydantic import Field
from servicekit.settings import ServiceSettings

from accounts.login_guard import LoginPolicy
from accounts.passwords import PasswordHasher
from accounts.sessions import SessionPolicy


class AccountsSettings(ServiceSettings):
    """accounts' own settings, each with the variable an operator sets."""

    # Password hashing: argon2id (OWASP minimum t=2, 19 MiB, p=1).
    argon2_time_cost: int = Field(2, alias="ARGON2_TIME_COST", ge=1)
    argon2_memory_kib: int = Field(19 * 1024, alias="ARGON2_MEMORY_KIB", ge=8)
    argon2_parallelism: int = Field(1, alias="ARGON2_PARALLELISM", ge=1)
    # The login guard's numbers (accounts.login_guard): failures per login name,
    # then per client address.
    login_captcha_after: int = Field(3, alias="LOGIN_CAPTCHA_AFTER", ge=0)
    login_lock_after: int = Field(5, alias="LOGIN_LOCK_AFTER", ge=1)
    login_failure_window: int = Field(900, alias="LOGIN_FAILURE_WINDOW", ge=1)
    login_lock_seconds: int = Field(900, alias="LOGIN_LOCK_SECONDS", ge=1)
    login_ip_captcha_after: int = Field(10, alias="LOGIN_IP_CAPTCHA_AFTER", ge=0)
    login_ip_block_after: int = Field(100, alias="LOGIN_IP_BLOCK_AFTER", ge=1)
    login_ip_window: int = Field(900, alias="LOGIN_IP_WINDOW", ge=1)
    # Answers that tell whether a document or organisation code is registered,
    # per document or code asked about (whoever asks) per hour; 0 turns one off.
    document_checks_per_document_per_hour: int = Field(
        10, alias="DOCUMENT_CHECKS_PER_DOCUMENT_PER_HOUR", ge=0
    )
    registrations_per_document_per_hour: int = Field(
        10, alias="REGISTRATIONS_PER_DOCUMENT_PER_HOUR", ge=0
    )
    session_idle_seconds: int = Field(1800, alias="SESSION_IDLE_SECONDS", ge=1)
    session_absolute_seconds: int = Field(
        43_200, alias="SESSION_ABSOLUTE_SECONDS", ge=1
    )
    # Lifetime of a temporary password: a reviewer's (made by the CLI) and an
    # approved appeal's (set by recovery through set_temporary_password).
    temporary_password_hours: int = Field(72, alias="TEMPORARY_PASSWORD_HOURS", ge=1)
    appeal_temporary_password_hours: int = Field(
        24, alias="APPEAL_TEMPORARY_PASSWORD_HOURS", ge=1
    )
    person_agreement_version: str = Field("2024-01", alias="PERSON_AGREEMENT_VERSION")
    organization_agreement_version: str = Field(
        "2024-01", alias="ORGANIZATION_AGREEMENT_VERSION"
    )
    agents_per_organization: int = Field(20, alias="AGENTS_PER_ORGANIZATION", ge=0)
    # YAML gives a bool for true/false; text (true/false, 1/0, yes/no) is read too
    agents_require_verified_organization: bool = Field(
        True, alias="AGENTS_REQUIRE_VERIFIED_ORGANIZATION"
    )
    # Corrections of a document or organisation code after a failed real-name
    # check, per account and day (accounts.corrections; 0: no limit).
    identity_corrections_per_day: int = Field(
        5, alias="IDENTITY_CORRECTIONS_PER_DAY", ge=0
    )
    otp_timeout: float = Field(5.0, alias="OTP_TIMEOUT", gt=0)
    # Imported accounts (flow 10) still on an unsalted or weak former hash must
    # reset their password by SMS after this date (China time); unset: no deadline.
    legacy_weak_hash_deadline: date | None = Field(
        None, alias="LEGACY_WEAK_HASH_DEADLINE"
    )

    @classmethod
    def written_defaults(cls) -> AccountsSettings:
        """The class's defaults only, the environment not read: what a rule's
        object (``deps.Settings``) holds when a test or the CLI does not say."""
        return cls.model_construct()

    def password_hasher(
        self, offload: Callable[..., Any] | None = None
    ) -> PasswordHasher:
        return PasswordHasher(
            time_cost=self.argon2_time_cost,
            memory_cost=self.argon2_memory_kib,
            parallelism=self.argon2_parallelism,
            offload=offload,
        )

    def login_policy(self) -> LoginPolicy:
        """The :class:`LoginGuard`'s numbers (its only source)."""
        return LoginPolicy(
            captcha_after=self.login_captcha_after,
            lock_after=self.login_lock_after,
            window_seconds=self.login_failure_window,
            lock_seconds=self.login_lock_seconds,
            ip_captcha_after=self.login_ip_captcha_after,
            ip_block_after=self.login_ip_block_after,
            ip_window_seconds=self.login_ip_window,
        )

    def session_policy(self) -> SessionPolicy:
        return SessionPolicy(
            idle_seconds=self.session_idle_seconds,
            absolute_seconds=self.session_absolute_seconds,
        )
