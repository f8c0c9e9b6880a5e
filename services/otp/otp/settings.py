"""otp's settings, read from the container config (``config.yml``), validated once.

Every value has a default in ``config.yml`` as ``${ENV:default}``; this module only
turns them into types and refuses combinations that must never run (production
with the development key, production with the dev-only outbox).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ENVIRONMENTS = ("dev", "test", "production")
SMS_PROVIDERS = ("outbox", "log")

# Published in the repository on purpose, so it can never be a real secret:
# production refuses to start with it.
DEV_HMAC_KEY = "dev-only-otp-key-not-secret-0123456789abcdef"
MIN_KEY_LENGTH = 32


class ConfigError(ValueError):
    """A setting is missing, malformed or not allowed in this environment."""


@dataclass(frozen=True)
class Limits:
    """Send quotas (counts of accepted sends) and the resend cooldown, in seconds."""

    cooldown: int = 60
    phone_per_hour: int = 5
    phone_per_day: int = 10
    client_per_hour: int = 30
    global_per_day: int = 100_000


@dataclass(frozen=True)
class OtpSettings:
    environment: str = "dev"
    hmac_key: str = DEV_HMAC_KEY
    code_ttl: int = 300
    code_max_tries: int = 5
    captcha_ttl: int = 300
    captcha_length: int = 5
    limits: Limits = Limits()
    sms_provider: str = "outbox"
    sms_workers: int = 2
    sms_max_attempts: int = 8
    sms_retry_base: float = 1.0
    sms_retry_max: float = 300.0
    sms_lease: int = 30
    sms_notice_max_age: int = 86_400
    outbox_keep: int = 50
    outbox_ttl: int = 86_400
    outbox_failures: int = 0

    @property
    def dev_helpers(self) -> bool:
        """Captcha answers and the SMS outbox are readable only in dev and test."""
        return self.environment in ("dev", "test")


def _int(config: dict[str, Any], key: str, default: int, minimum: int = 0) -> int:
    raw = config.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be an integer, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{key} must be at least {minimum}")
    return value


def _float(config: dict[str, Any], key: str, default: float) -> float:
    raw = config.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{key} must be positive")
    return value


def settings_from_config(config: dict[str, Any]) -> OtpSettings:
    """Typed, validated settings; raises :class:`ConfigError` for anything unsafe."""
    environment = str(config.get("ENVIRONMENT") or "dev")
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"ENVIRONMENT must be one of {ENVIRONMENTS}")
    production = environment == "production"

    key = str(config.get("OTP_HMAC_KEY") or "")
    if production and (not key or key == DEV_HMAC_KEY):
        raise ConfigError(
            "production refuses the development OTP_HMAC_KEY: set a secret"
        )
    key = key or DEV_HMAC_KEY
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigError(f"OTP_HMAC_KEY must be at least {MIN_KEY_LENGTH} characters")

    provider = str(config.get("SMS_PROVIDER") or "")
    if not provider:
        if production:
            raise ConfigError(
                "set SMS_PROVIDER in production (the outbox is dev/test only)"
            )
        provider = "outbox"
    if provider not in SMS_PROVIDERS:
        raise ConfigError(f"SMS_PROVIDER must be one of {SMS_PROVIDERS}")
    if provider == "outbox" and production:
        raise ConfigError(
            "the outbox SMS provider keeps messages readable: not in production"
        )

    outbox_failures = _int(config, "SMS_OUTBOX_FAILURES", 0)
    if outbox_failures and production:
        raise ConfigError("SMS_OUTBOX_FAILURES is a dev/test fault injection")

    captcha_length = _int(config, "OTP_CAPTCHA_LENGTH", 5, minimum=4)
    if captcha_length > 6:
        raise ConfigError("OTP_CAPTCHA_LENGTH must be 4 to 6")

    return OtpSettings(
        environment=environment,
        hmac_key=key,
        code_ttl=_int(config, "OTP_CODE_TTL", 300, minimum=1),
        code_max_tries=_int(config, "OTP_CODE_MAX_TRIES", 5, minimum=1),
        captcha_ttl=_int(config, "OTP_CAPTCHA_TTL", 300, minimum=1),
        captcha_length=captcha_length,
        limits=Limits(
            cooldown=_int(config, "OTP_RESEND_COOLDOWN", 60),
            phone_per_hour=_int(config, "OTP_PHONE_PER_HOUR", 5, minimum=1),
            phone_per_day=_int(config, "OTP_PHONE_PER_DAY", 10, minimum=1),
            client_per_hour=_int(config, "OTP_CLIENT_PER_HOUR", 30, minimum=1),
            global_per_day=_int(config, "OTP_GLOBAL_PER_DAY", 100_000, minimum=1),
        ),
        sms_provider=provider,
        sms_workers=_int(config, "SMS_WORKERS", 2),
        sms_max_attempts=_int(config, "SMS_MAX_ATTEMPTS", 8, minimum=1),
        sms_retry_base=_float(config, "SMS_RETRY_BASE", 1.0),
        sms_retry_max=_float(config, "SMS_RETRY_MAX", 300.0),
        sms_lease=_int(config, "SMS_LEASE", 30, minimum=1),
        sms_notice_max_age=_int(config, "SMS_NOTICE_MAX_AGE", 86_400, minimum=1),
        outbox_keep=_int(config, "SMS_OUTBOX_KEEP", 50, minimum=1),
        outbox_ttl=_int(config, "SMS_OUTBOX_TTL", 86_400, minimum=1),
        outbox_failures=outbox_failures,
    )
