"""Login names, the password rule, the strength rating and password hashing.

The rule (product.md): at least 8 characters, at least 3 of the 4 classes upper /
lower / digit / symbol, not equal to or containing the login name, not one of the
common passwords. The common passwords are the 30,000 entries of the "passwords"
frequency list bundled with zxcvbn 4.5.0 (derived from the Xato 10M-password
corpus and kept with the zxcvbn project), compared case-insensitively.

The strength shown while typing: ``weak`` when the rule is broken, otherwise
``medium`` or ``strong`` from zxcvbn's guess-based score (``strong`` at 3 or more).

Hashing: argon2id, t=2, 19 MiB, p=1 (OWASP) by default, run in eventlet's thread
pool so a 20 ms hash never stalls the other greenthreads of the process.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import lru_cache

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from prometheus_client import Counter

_log = logging.getLogger("accounts.passwords")

# Served by servicekit.metrics with the service's other metrics: under a brute force
# its rate stays flat while the login attempts climb.
HASH_CHECKS = Counter(
    "accounts_password_hash_checks",
    "Password hash verifications (the dummy ones for unknown login names included).",
)

LOGIN_NAME = re.compile(r"[A-Za-z0-9_]{4,32}")
PASSWORD_MIN = 8
# Long enough for any passphrase; short enough that nobody makes us hash a megabyte.
PASSWORD_MAX = 128
# zxcvbn's matching grows quickly with length; its verdict is stable long before this.
_RATING_PREFIX = 64


def login_name_problem(name: object) -> tuple[str, str] | None:
    """``(code, message)`` when ``name`` is not a valid login name, else None."""
    if not isinstance(name, str) or not LOGIN_NAME.fullmatch(name):
        return (
            "login_name_invalid",
            "A login name is 4 to 32 letters, digits and underscores",
        )
    return None


def canonical_login_name(name: str) -> str:
    """Login names are unique case-insensitively: this is the compared form."""
    return name.lower()


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    words = FREQUENCY_LISTS["passwords"]
    if isinstance(words, str):  # some releases keep the list as one string
        words = words.split(",")
    return frozenset(w.lower() for w in words)


def character_classes(password: str) -> int:
    upper = any("A" <= c <= "Z" for c in password)
    lower = any("a" <= c <= "z" for c in password)
    digit = any("0" <= c <= "9" for c in password)
    symbol = any(not (c.isascii() and c.isalnum()) for c in password)
    return upper + lower + digit + symbol


PROBLEM_MESSAGES = {
    "password_too_short": f"Use at least {PASSWORD_MIN} characters",
    "password_too_long": f"Use at most {PASSWORD_MAX} characters",
    "password_invalid_characters": "Control characters are not allowed",
    "password_too_few_classes": (
        "Use at least 3 of: capital letters, small letters, digits, symbols"
    ),
    "password_contains_login_name": "The password must not contain the login name",
    "password_common": "This password is too common",
}


def password_problems(password: str, login_name: str | None = None) -> list[str]:
    """Codes of every part of the rule ``password`` breaks (empty: acceptable)."""
    problems = []
    if len(password) < PASSWORD_MIN:
        problems.append("password_too_short")
    if len(password) > PASSWORD_MAX:
        problems.append("password_too_long")
    if any(_is_control(c) for c in password):
        problems.append("password_invalid_characters")
    if character_classes(password) < 3:
        problems.append("password_too_few_classes")
    if login_name and login_name.lower() in password.lower():
        problems.append("password_contains_login_name")
    if password.lower() in common_passwords():
        problems.append("password_common")
    return problems


def _is_control(char: str) -> bool:
    return ord(char) < 32 or 127 <= ord(char) < 160


def rate_password(password: str, login_name: str | None = None) -> dict:
    """``{strength, acceptable, problems}``; strength is weak / medium / strong."""
    problems = password_problems(password, login_name)
    if problems:
        strength = "weak"
    else:
        from zxcvbn import zxcvbn

        inputs = [login_name] if login_name else []
        score = zxcvbn(password[:_RATING_PREFIX], user_inputs=inputs)["score"]
        strength = "strong" if score >= 3 else "medium"
    return {
        "strength": strength,
        "acceptable": not problems,
        "problems": [
            {"code": code, "message": PROBLEM_MESSAGES[code]} for code in problems
        ],
    }


def _run_inline(fn: Callable, *args):
    return fn(*args)


class PasswordHasher:
    """argon2id hashing, off the event loop.

    ``offload(fn, *args)`` runs the hash; the service passes
    ``eventlet.tpool.execute`` (argon2's C code releases the GIL, so hashes run in
    parallel on every core while the hub keeps serving). ``checks`` counts every
    hash verification this process made, including the dummy ones.
    """

    def __init__(
        self,
        time_cost: int = 2,
        memory_cost: int = 19 * 1024,
        parallelism: int = 1,
        offload: Callable | None = None,
    ):
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        self._offload = offload or _run_inline
        self.checks = 0
        # An unknown login name is checked against this, so it costs the same.
        self._dummy = self._hasher.hash("not a password of anyone")

    def hash(self, password: str) -> str:
        return self._offload(self._hasher.hash, password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; an unknown account passes None.

        Never raises for a wrong password or a malformed hash (that logs a warning
        and answers False).
        """
        self.checks += 1
        HASH_CHECKS.inc()
        _log.info("password hash checked", extra={"hash_checks": self.checks})
        target = password_hash or self._dummy
        try:
            ok = self._offload(self._verify, target, password)
        except InvalidHashError:
            _log.warning("a stored password hash is malformed")
            return False
        return ok and password_hash is not None

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than the configured
        ones (or another algorithm): the caller re-hashes it after a good login."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
