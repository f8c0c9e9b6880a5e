"""This service's own dependency providers and the otp client adapter."""

from __future__ import annotations

from eventlet import tpool
from nameko.extensions import DependencyProvider
from servicekit.calls import TimedCaller

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


def _flag(value, default: bool) -> bool:
    """A yes/no setting: YAML gives a bool for true/false; text is read too
    (``bool("false")`` would be True)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class Runtime:
    """Objects built once per process from the config."""

    def __init__(self, config: dict):
        def setting(name: str, default):
            value = config.get(name)
            return type(default)(value) if value not in (None, "") else default

        self.hasher = PasswordHasher(
            time_cost=setting("ARGON2_TIME_COST", 2),
            memory_cost=setting("ARGON2_MEMORY_KIB", 19 * 1024),
            parallelism=setting("ARGON2_PARALLELISM", 1),
            # argon2's C code releases the GIL: hashes run on real threads in
            # parallel while the hub keeps serving other workers.
            offload=tpool.execute,
        )
        self.login_policy = LoginPolicy(
            captcha_after=setting("LOGIN_CAPTCHA_AFTER", 3),
            lock_after=setting("LOGIN_LOCK_AFTER", 5),
            window_seconds=setting("LOGIN_FAILURE_WINDOW", 900),
            lock_seconds=setting("LOGIN_LOCK_SECONDS", 900),
            ip_captcha_after=setting("LOGIN_IP_CAPTCHA_AFTER", 10),
            ip_block_after=setting("LOGIN_IP_BLOCK_AFTER", 100),
            ip_window_seconds=setting("LOGIN_IP_WINDOW", 900),
        )
        self.session_policy = SessionPolicy(
            idle_seconds=setting("SESSION_IDLE_SECONDS", 1800),
            absolute_seconds=setting("SESSION_ABSOLUTE_SECONDS", 43200),
        )
        self.settings = Settings(
            agreement_versions={
                "person": str(setting("PERSON_AGREEMENT_VERSION", "2024-01")),
                "organization": str(
                    setting("ORGANIZATION_AGREEMENT_VERSION", "2024-01")
                ),
            },
            login=self.login_policy,
            temporary_password_hours=setting("TEMPORARY_PASSWORD_HOURS", 72),
            agents_per_organization=setting("AGENTS_PER_ORGANIZATION", 20),
            agents_require_verified_organization=_flag(
                config.get("AGENTS_REQUIRE_VERIFIED_ORGANIZATION"), default=True
            ),
        )
        self.otp_timeout = setting("OTP_TIMEOUT", 5.0)


class AccountsRuntime(DependencyProvider):
    """Injects the process-wide :class:`Runtime` (hasher, policies, settings)."""

    def setup(self):
        self.runtime = Runtime(self.container.config)

    def get_dependency(self, worker_ctx) -> Runtime:
        return self.runtime
