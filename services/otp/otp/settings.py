"""otp's settings: one pydantic-settings class, defaults written once, here.

Read by :meth:`OtpSettings.from_config` (the container config, then the
environment, then these defaults; see ``servicekit.settings``). Beyond types and
ranges it refuses combinations that must never run: production with the
development key, production without a chosen SMS provider or with the dev-only
outbox, fault injection in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from servicekit.settings import ConfigError, ServiceSettings

__all__ = ["DEV_HMAC_KEY", "ConfigError", "Limits", "OtpSettings"]

# Published in the repository on purpose, so it can never be a real secret:
# production refuses to start with it.
DEV_HMAC_KEY = "dev-only-otp-key-not-secret-0123456789abcdef"
MIN_KEY_LENGTH = 32


@dataclass(frozen=True)
class Limits:
    """Send quotas (counts of accepted sends) and the resend cooldown, in seconds.
    The defaults are :class:`OtpSettings`' (the Lua script takes this object)."""

    cooldown: int = 60
    phone_per_hour: int = 5
    phone_per_day: int = 10
    client_per_hour: int = 30
    global_per_day: int = 100_000


class OtpSettings(ServiceSettings):
    environment: Literal["dev", "test", "production"] = Field(
        "dev", alias="ENVIRONMENT"
    )
    hmac_key: str = Field(DEV_HMAC_KEY, alias="OTP_HMAC_KEY", min_length=MIN_KEY_LENGTH)
    code_ttl: int = Field(300, alias="OTP_CODE_TTL", ge=1)
    code_max_tries: int = Field(5, alias="OTP_CODE_MAX_TRIES", ge=1)
    captcha_ttl: int = Field(300, alias="OTP_CAPTCHA_TTL", ge=1)
    captcha_length: int = Field(5, alias="OTP_CAPTCHA_LENGTH", ge=4)
    # the text form (a question in words) is easier for a program: few per address
    text_captchas_per_hour: int = Field(10, alias="OTP_TEXT_CAPTCHAS_PER_HOUR", ge=1)
    resend_cooldown: int = Field(Limits.cooldown, alias="OTP_RESEND_COOLDOWN", ge=0)
    phone_per_hour: int = Field(Limits.phone_per_hour, alias="OTP_PHONE_PER_HOUR", ge=1)
    phone_per_day: int = Field(Limits.phone_per_day, alias="OTP_PHONE_PER_DAY", ge=1)
    client_per_hour: int = Field(
        Limits.client_per_hour, alias="OTP_CLIENT_PER_HOUR", ge=1
    )
    global_per_day: int = Field(Limits.global_per_day, alias="OTP_GLOBAL_PER_DAY", ge=1)
    # outbox (dev/test only) or log; unset means outbox outside production
    sms_provider: Literal["outbox", "log"] = Field("outbox", alias="SMS_PROVIDER")
    sms_workers: int = Field(2, alias="SMS_WORKERS", ge=0)
    sms_max_attempts: int = Field(8, alias="SMS_MAX_ATTEMPTS", ge=1)
    sms_retry_base: float = Field(1.0, alias="SMS_RETRY_BASE", gt=0)
    sms_retry_max: float = Field(300.0, alias="SMS_RETRY_MAX", gt=0)
    sms_lease: int = Field(30, alias="SMS_LEASE", ge=1)
    sms_notice_max_age: int = Field(86_400, alias="SMS_NOTICE_MAX_AGE", ge=1)
    outbox_keep: int = Field(50, alias="SMS_OUTBOX_KEEP", ge=1)
    outbox_ttl: int = Field(86_400, alias="SMS_OUTBOX_TTL", ge=1)
    outbox_failures: int = Field(0, alias="SMS_OUTBOX_FAILURES", ge=0)

    @field_validator("captcha_length")
    @classmethod
    def _captcha_length(cls, value: int) -> int:
        if value > 6:
            raise ValueError("OTP_CAPTCHA_LENGTH must be 4 to 6")
        return value

    @model_validator(mode="after")
    def _safe_in_production(self) -> OtpSettings:
        if self.environment != "production":
            return self
        if self.hmac_key == DEV_HMAC_KEY:
            raise ValueError(
                "production refuses the development OTP_HMAC_KEY: set a secret"
            )
        if "sms_provider" not in self.model_fields_set:
            raise ValueError(
                "set SMS_PROVIDER in production (the outbox is dev/test only)"
            )
        if self.sms_provider == "outbox":
            raise ValueError(
                "the outbox SMS provider keeps messages readable: not in production"
            )
        if self.outbox_failures:
            raise ValueError("SMS_OUTBOX_FAILURES is a dev/test fault injection")
        return self

    def replace(self, **changes: Any) -> OtpSettings:
        """As ``ServiceSettings.replace``; ``limits=Limits(...)`` sets all five."""
        limits = changes.pop("limits", None)
        if limits is not None:
            changes |= {
                "resend_cooldown": limits.cooldown,
                "phone_per_hour": limits.phone_per_hour,
                "phone_per_day": limits.phone_per_day,
                "client_per_hour": limits.client_per_hour,
                "global_per_day": limits.global_per_day,
            }
        return super().replace(**changes)

    @property
    def limits(self) -> Limits:
        return Limits(
            cooldown=self.resend_cooldown,
            phone_per_hour=self.phone_per_hour,
            phone_per_day=self.phone_per_day,
            client_per_hour=self.client_per_hour,
            global_per_day=self.global_per_day,
        )

    @property
    def dev_helpers(self) -> bool:
        """Captcha answers and the SMS outbox are readable only in dev and test."""
        return self.environment in ("dev", "test")


def settings_from_config(config: dict[str, Any]) -> OtpSettings:
    """Typed, validated settings; raises :class:`ConfigError` for anything unsafe."""
    return OtpSettings.from_config(config)
