"""The checks a public step of recovery (a reset's start, an organisation's look-up)
passes before it does anything: its quotas and the image captcha."""

from __future__ import annotations

from contracts.errors import InvalidInput, RateLimited, field_error, invalid_fields
from contracts.otp import OtpClient

from recovery.store import Quotas


def require_quota(
    quotas: Quotas, name: str, subject: str, limit: int, window: int = 3600
) -> None:
    """Count one use; ``RateLimited`` (``recovery_rate_limited``, ``retry_after``)
    past ``limit`` per ``window`` seconds."""
    wait = quotas.hit(name, subject, limit, window)
    if wait:
        raise RateLimited(
            "recovery_rate_limited",
            "Too many attempts; try again later.",
            {"retry_after": wait},
        )


def require_captcha(otp: OtpClient, captcha_id: str, captcha_answer: str) -> None:
    """otp checks (and spends) the captcha; a wrong or expired one is the field
    error ``captcha_answer: captcha_invalid``."""
    try:
        otp.check_captcha(captcha_id=captcha_id, answer=captcha_answer)
    except InvalidInput:
        raise invalid_fields(
            [field_error("captcha_answer", "captcha_invalid", "Wrong or expired")]
        ) from None
