"""SMS codes: purposes and the code's form."""

from __future__ import annotations

from contracts.otp import SMS_PURPOSES

CODE_LENGTH = 6
MAX_SUBMITTED_LENGTH = 32


def valid_purpose(purpose: object) -> bool:
    return isinstance(purpose, str) and purpose in SMS_PURPOSES


def submitted_code(code: object) -> str:
    """What a caller typed, trimmed and bounded. A malformed code is not rejected
    here: it is checked like any other and spends a try (it cannot match)."""
    if not isinstance(code, str):
        return ""
    return code.strip()[:MAX_SUBMITTED_LENGTH]
