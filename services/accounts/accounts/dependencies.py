"""This service's own dependency providers and its timed transport to otp."""

from __future__ import annotations

import logging
from typing import Any

import eventlet
from contracts.errors import Unavailable
from contracts.otp import OtpClient
from eventlet import tpool
from nameko.exceptions import RemoteError, UnknownService
from nameko.extensions import DependencyProvider

from accounts.deps import Settings
from accounts.login_guard import LoginPolicy
from accounts.passwords import PasswordHasher
from accounts.sessions import SessionPolicy

_log = logging.getLogger("accounts.otp_client")


class TimedOtp:
    """The transport of ``contracts.otp.OtpClient`` in accounts: calls otp with a
    deadline, as nameko 2's RpcProxy would wait for ever.

    A late reply after the deadline is dropped by nameko's reply listener. otp
    down or slow becomes ``Unavailable`` (the gateway answers 503 + Retry-After).
    """

    def __init__(self, proxy, timeout: float):
        self._proxy = proxy
        self._timeout = timeout

    def __call__(self, method: str, kwargs: dict[str, Any]) -> Any:
        try:
            with eventlet.Timeout(self._timeout):
                return getattr(self._proxy, method)(**kwargs)
        except eventlet.Timeout:
            raise Unavailable(
                "otp_unavailable",
                "The code service did not answer; try again shortly.",
                {"retry_after": 5},
            ) from None
        except UnknownService:
            raise Unavailable(
                "otp_unavailable",
                "The code service is not running; try again shortly.",
                {"retry_after": 5},
            ) from None
        except RemoteError as exc:
            # otp failed in a way its contract does not name (a bug, a method it
            # does not have yet): a dependency failure for our caller, not ours.
            _log.error("otp.%s failed: %s", method, exc.exc_type)
            raise Unavailable(
                "otp_unavailable",
                "The code service failed; try again shortly.",
                {"retry_after": 5},
            ) from None


def otp_client(proxy, timeout: float) -> OtpClient:
    """otp's typed client over ``proxy`` (a nameko ``RpcProxy``), with a deadline."""
    return OtpClient(TimedOtp(proxy, timeout))


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
            appeal_temporary_password_hours=setting(
                "APPEAL_TEMPORARY_PASSWORD_HOURS", 24
            ),
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
