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

Former systems' hashes (product.md flow 10, imported by ``legacy_import``): stored
in the same ``password_hash`` column as ``legacy:<the former system's text>`` and
verified with libpass (the maintained fork of passlib), never by hand; the first
good login replaces them with argon2id (``needs_rehash`` is true for them). The
forms: modular crypt (``$2b$`` bcrypt, ``$1$`` md5-crypt, ``$5$``/``$6$``
sha-crypt, ``$pbkdf2-sha256$``), LDAP (``{SSHA}``, ``{SHA}``) and the unsalted hex
digests ``md5:<hex>`` / ``sha1:<hex>``. The unsalted ones and the fast salted ones
(md5-crypt, ``{SSHA}``) are *weak*: after ``LEGACY_WEAK_HASH_DEADLINE`` they no
longer open a session (login answers ``legacy_password_reset_required``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import lru_cache

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from passlib import hash as libpass_hash
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


# --- former systems' hashes ----------------------------------------------------------

LEGACY_MARKER = "legacy:"

# (how the former system's text starts, libpass's handler, weak); the first match wins.
_LEGACY_FORMS = (
    ("$2b$", libpass_hash.bcrypt, False),
    ("$2a$", libpass_hash.bcrypt, False),
    ("$2y$", libpass_hash.bcrypt, False),
    ("$1$", libpass_hash.md5_crypt, True),
    ("$5$", libpass_hash.sha256_crypt, False),
    ("$6$", libpass_hash.sha512_crypt, False),
    ("$pbkdf2-sha256$", libpass_hash.pbkdf2_sha256, False),
    ("{SSHA}", libpass_hash.ldap_salted_sha1, True),
    ("{SHA}", libpass_hash.ldap_sha1, True),
    ("md5:", libpass_hash.hex_md5, True),
    ("sha1:", libpass_hash.hex_sha1, True),
)
# The hex forms carry our own prefix in the import file; libpass takes the digest.
_HEX_PREFIXES = ("md5:", "sha1:")


def _legacy_form(text: str):
    """``(prefix, handler, weak)`` of a former system's hash text, or None."""
    for form in _LEGACY_FORMS:
        if text.startswith(form[0]):
            return form
    return None


def _libpass_text(prefix: str, text: str) -> str:
    return text[len(prefix) :].lower() if prefix in _HEX_PREFIXES else text


def legacy_hash_problem(text: str) -> str | None:
    """Why a former system's hash text cannot be imported (None: it can): an
    unknown form, or one libpass does not parse."""
    form = _legacy_form(text)
    if form is None:
        return "password_hash_unsupported"
    prefix, handler, _ = form
    try:
        parsed = handler.from_string(_libpass_text(prefix, text))
    except (ValueError, TypeError):
        return "password_hash_invalid"
    # a configuration string (salt, no digest) verifies nothing
    return None if parsed.checksum else "password_hash_invalid"


def legacy_stored(text: str) -> str:
    """What ``password_hash`` holds for an imported account (checked first with
    :func:`legacy_hash_problem`)."""
    return LEGACY_MARKER + text


def is_legacy(password_hash: str | None) -> bool:
    return bool(password_hash) and password_hash.startswith(LEGACY_MARKER)


def is_weak_legacy(password_hash: str | None) -> bool:
    """An imported hash that is unsalted or fast (md5 / sha1 based)."""
    if not is_legacy(password_hash):
        return False
    form = _legacy_form(password_hash[len(LEGACY_MARKER) :])
    return form is None or form[2]


def _verify_legacy(password_hash: str, password: str) -> bool:
    text = password_hash[len(LEGACY_MARKER) :]
    form = _legacy_form(text)
    if form is None:
        _log.warning("a stored legacy password hash has an unknown form")
        return False
    prefix, handler, _ = form
    try:
        return handler.verify(password, _libpass_text(prefix, text))
    except (ValueError, TypeError):
        # A malformed hash, or a password bcrypt refuses (over 72 bytes).
        return False


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
        if is_legacy(password_hash):
            ok = _verify_legacy(password_hash, password)
            if not ok:
                # A wrong password costs at least an argon2id check, as for an
                # unknown name; a right one pays the argon2id re-hash instead.
                self._verify(self._dummy, password)
            return ok
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than the configured
        ones (or another algorithm, a former system's included): the caller
        re-hashes it after a good login."""
        if is_legacy(password_hash):
            return True
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
