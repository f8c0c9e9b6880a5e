"""This service's own dependency providers and the otp client adapter."""

from __future__ import annotations

from eventlet import tpool
from nameko.extensions import DependencyProvider
from pydantic import Field
from servicekit.calls import TimedCaller
from servicekit.settings import ServiceSettings

from accounts.handlers import Settings
from accounts.passwords import PasswordHasher
from accounts.sessions import SessionPolicy
from accounts.throttle import LoginPolicy


class OtpClient:
    """otp's RPCs that accounts calls, through servicekit's one timed adapter:
    otp down, slow or broken becomes ``Unavailable`` (``dependency_unavailable``;
    the gateway answers 503 + Retry-After)."""

    def __init__(self, proxy, timeout: float):
        self._caller = TimedCaller(proxy, "otp", timeout)

    def _call(self, method: str, **kwargs):
        return self._caller.call(method, kwargs)

    def check_captcha(self, captcha_id: str, answer: str) -> None:
        self._call("check_captcha", captcha_id=captcha_id, answer=answer)

    def verify_sms_code(self, phone: str, purpose: str, code: str) -> None:
        self._call("verify_sms_code", phone=phone, purpose=purpose, code=code)


class AccountsSettings(ServiceSettings):
    """accounts' own settings, defaults written once (``servicekit.settings``):
    read from the container config, then the environment, then these defaults;
    the service, its CLI and the tests build it with ``from_config``."""

    argon2_time_cost: int = Field(2, alias="ARGON2_TIME_COST", ge=1)
    argon2_memory_kib: int = Field(19 * 1024, alias="ARGON2_MEMORY_KIB", ge=8)
    argon2_parallelism: int = Field(1, alias="ARGON2_PARALLELISM", ge=1)
    login_captcha_after: int = Field(3, alias="LOGIN_CAPTCHA_AFTER", ge=0)
    login_lock_after: int = Field(5, alias="LOGIN_LOCK_AFTER", ge=1)
    login_failure_window: int = Field(900, alias="LOGIN_FAILURE_WINDOW", ge=1)
    login_lock_seconds: int = Field(900, alias="LOGIN_LOCK_SECONDS", ge=1)
    login_ip_captcha_after: int = Field(10, alias="LOGIN_IP_CAPTCHA_AFTER", ge=0)
    login_ip_block_after: int = Field(100, alias="LOGIN_IP_BLOCK_AFTER", ge=1)
    login_ip_window: int = Field(900, alias="LOGIN_IP_WINDOW", ge=1)
    session_idle_seconds: int = Field(1800, alias="SESSION_IDLE_SECONDS", ge=1)
    session_absolute_seconds: int = Field(
        43_200, alias="SESSION_ABSOLUTE_SECONDS", ge=1
    )
    temporary_password_hours: int = Field(72, alias="TEMPORARY_PASSWORD_HOURS", ge=1)
    person_agreement_version: str = Field("2024-01", alias="PERSON_AGREEMENT_VERSION")
    organization_agreement_version: str = Field(
        "2024-01", alias="ORGANIZATION_AGREEMENT_VERSION"
    )
    agents_per_organization: int = Field(20, alias="AGENTS_PER_ORGANIZATION", ge=0)
    # YAML gives a bool for true/false; text (true/false, 1/0, yes/no) is read too
    agents_require_verified_organization: bool = Field(
        True, alias="AGENTS_REQUIRE_VERIFIED_ORGANIZATION"
    )
    otp_timeout: float = Field(5.0, alias="OTP_TIMEOUT", gt=0)

    def password_hasher(self, offload=None) -> PasswordHasher:
        return PasswordHasher(
            time_cost=self.argon2_time_cost,
            memory_cost=self.argon2_memory_kib,
            parallelism=self.argon2_parallelism,
            offload=offload,
        )


class Runtime:
    """Objects built once per process from the config."""

    def __init__(self, config: dict):
        values = AccountsSettings.from_config(config)
        # argon2's C code releases the GIL: hashes run on real threads in
        # parallel while the hub keeps serving other workers.
        self.hasher = values.password_hasher(offload=tpool.execute)
        self.login_policy = LoginPolicy(
            captcha_after=values.login_captcha_after,
            lock_after=values.login_lock_after,
            window_seconds=values.login_failure_window,
            lock_seconds=values.login_lock_seconds,
            ip_captcha_after=values.login_ip_captcha_after,
            ip_block_after=values.login_ip_block_after,
            ip_window_seconds=values.login_ip_window,
        )
        self.session_policy = SessionPolicy(
            idle_seconds=values.session_idle_seconds,
            absolute_seconds=values.session_absolute_seconds,
        )
        self.settings = Settings(
            agreement_versions={
                "person": values.person_agreement_version,
                "organization": values.organization_agreement_version,
            },
            login=self.login_policy,
            temporary_password_hours=values.temporary_password_hours,
            agents_per_organization=values.agents_per_organization,
            agents_require_verified_organization=(
                values.agents_require_verified_organization
            ),
        )
        self.otp_timeout = values.otp_timeout


class AccountsRuntime(DependencyProvider):
    """Injects the process-wide :class:`Runtime` (hasher, policies, settings)."""

    def setup(self):
        self.runtime = Runtime(self.container.config)

    def get_dependency(self, worker_ctx) -> Runtime:
        return self.runtime
