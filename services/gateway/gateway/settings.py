"""Gateway settings, read once from the environment."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

ENVIRONMENTS = ("dev", "test", "production")


@dataclass(frozen=True)
class Settings:
    environment: str = "dev"
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_key_prefix: str = ""
    rpc_timeout: float = 5.0
    ready_timeout: float = 2.0
    retry_after: int = 5
    max_body_bytes: int = 64 * 1024
    # Addresses (or CIDR networks) of reverse proxies whose X-Forwarded-For is
    # believed. Empty: the client address is the TCP peer, whatever headers say.
    trusted_proxies: tuple[str, ...] = ()
    # POST /documents/check per client address per hour (also behind a captcha).
    document_checks_per_hour: int = 20
    # GET /login-names/{name}: per client address per hour, and per login name
    # (whoever asks) per hour; 0 turns a quota off.
    login_name_checks_per_hour: int = 60
    login_name_checks_per_name_per_hour: int = 30
    # POST /registrations/person and /organization per client address per hour
    # (each also spends an SMS code); 0 turns the quota off.
    registrations_per_hour: int = 30
    # POST /login/unlock-codes and /login/unlock together, per client address per
    # hour. Never per login name: that would let anyone spend the owner's way out.
    login_unlocks_per_hour: int = 20
    # New captchas per client address and minute (each costs the otp service ~10 ms
    # of CPU to draw); 0 turns the quota off.
    captchas_per_minute: int = 30
    # Help (flow 9): the support contact the platform publishes in one place
    # (GET /help/contact). Empty ones are left out of the answer.
    support_phone: str = ""
    support_email: str = ""
    support_fax: str = ""
    support_hours: str = ""

    @property
    def dev_helpers(self) -> bool:
        """Development helpers (SMS outbox, captcha answers) exist only in dev/test."""
        return self.environment in ("dev", "test")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        environment = env.get("ENVIRONMENT", cls.environment)
        if environment not in ENVIRONMENTS:
            raise ValueError(f"ENVIRONMENT must be one of {ENVIRONMENTS}")
        return cls(
            environment=environment,
            amqp_uri=env.get("AMQP_URI", cls.amqp_uri),
            redis_url=env.get("REDIS_URL", cls.redis_url),
            redis_key_prefix=env.get("REDIS_KEY_PREFIX", cls.redis_key_prefix),
            rpc_timeout=float(env.get("RPC_TIMEOUT", cls.rpc_timeout)),
            ready_timeout=float(env.get("READY_TIMEOUT", cls.ready_timeout)),
            retry_after=int(env.get("RETRY_AFTER", cls.retry_after)),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", cls.max_body_bytes)),
            trusted_proxies=parse_trusted_proxies(env.get("TRUSTED_PROXIES", "")),
            document_checks_per_hour=int(
                env.get("DOCUMENT_CHECKS_PER_HOUR", cls.document_checks_per_hour)
            ),
            login_name_checks_per_hour=int(
                env.get("LOGIN_NAME_CHECKS_PER_HOUR", cls.login_name_checks_per_hour)
            ),
            login_name_checks_per_name_per_hour=int(
                env.get(
                    "LOGIN_NAME_CHECKS_PER_NAME_PER_HOUR",
                    cls.login_name_checks_per_name_per_hour,
                )
            ),
            registrations_per_hour=int(
                env.get("REGISTRATIONS_PER_HOUR", cls.registrations_per_hour)
            ),
            login_unlocks_per_hour=int(
                env.get("LOGIN_UNLOCKS_PER_HOUR", cls.login_unlocks_per_hour)
            ),
            captchas_per_minute=int(
                env.get("CAPTCHAS_PER_MINUTE", cls.captchas_per_minute)
            ),
            support_phone=env.get("SUPPORT_PHONE", "").strip(),
            support_email=env.get("SUPPORT_EMAIL", "").strip(),
            support_fax=env.get("SUPPORT_FAX", "").strip(),
            support_hours=env.get("SUPPORT_HOURS", "").strip(),
        )


def parse_trusted_proxies(value: str) -> tuple[str, ...]:
    """``TRUSTED_PROXIES``: comma-separated addresses or networks; fails loudly on
    a malformed entry rather than trusting the wrong hop."""
    entries = tuple(part.strip() for part in value.split(",") if part.strip())
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an address") from None
    return entries
