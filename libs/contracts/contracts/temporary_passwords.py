"""The one temporary-password generator: reviewers made by the CLI, approved appeals.

A temporary password meets the password rule (all four character classes, product.md)
and must be changed at the next login; how long it lives is a setting of accounts
(``TEMPORARY_PASSWORD_HOURS`` for reviewers, ``APPEAL_TEMPORARY_PASSWORD_HOURS`` for
appeals), applied where accounts stores it.
"""

from __future__ import annotations

import secrets
import string

SYMBOLS = "#%+-=?@"
POOLS = (string.ascii_lowercase, string.ascii_uppercase, string.digits, SYMBOLS)
LENGTH = 16


def generate(length: int = LENGTH) -> str:
    """Random, with at least one character of every class, in random order."""
    if length < len(POOLS):
        raise ValueError(f"a temporary password has at least {len(POOLS)} characters")
    chars = [secrets.choice(pool) for pool in POOLS]
    everything = "".join(POOLS)
    chars += [secrets.choice(everything) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
