"""Former systems' password hashes (flow 10): verified with libpass, marked in the
stored column, always re-hashed, and as costly to fail as an unknown name."""

from __future__ import annotations

import time

import pytest
from accounts import passwords as p

from bench.legacy_file import HASH_FORMS, legacy_hash

PASSWORD = "Old-system-2019"
WEAK = {"md5_crypt", "ldap_salted_sha1", "ldap_sha1", "hex_md5", "hex_sha1"}


@pytest.fixture(scope="module")
def hasher():
    return p.PasswordHasher()


@pytest.mark.parametrize("form", HASH_FORMS)
def test_every_form_verifies_the_right_password_only(hasher, form):
    text = legacy_hash(form, PASSWORD)
    assert p.legacy_hash_problem(text) is None
    stored = p.legacy_stored(text)
    assert stored.startswith("legacy:")
    assert hasher.verify(stored, PASSWORD) is True
    assert hasher.verify(stored, PASSWORD + "x") is False
    assert hasher.needs_rehash(stored) is True
    assert p.is_weak_legacy(stored) is (form in WEAK)


def test_hex_digests_are_read_in_either_case(hasher):
    text = legacy_hash("hex_sha1", PASSWORD)
    assert hasher.verify(
        p.legacy_stored(text.upper().replace("SHA1:", "sha1:")), PASSWORD
    )


@pytest.mark.parametrize(
    "text, problem",
    [
        ("plain-password", "password_hash_unsupported"),
        ("$argon2id$v=19$m=19456,t=2,p=1$abc$def", "password_hash_unsupported"),
        ("md5:1234", "password_hash_invalid"),
        ("sha1:" + "g" * 40, "password_hash_invalid"),
        ("$2b$04$short", "password_hash_invalid"),
        ("$1$abc", "password_hash_invalid"),
        ("{SSHA}", "password_hash_invalid"),
    ],
)
def test_unknown_or_malformed_forms_are_named(text, problem):
    assert p.legacy_hash_problem(text) == problem


def test_a_platform_hash_is_never_taken_for_a_legacy_one(hasher):
    encoded = hasher.hash(PASSWORD)
    assert not p.is_legacy(encoded)
    assert not p.is_weak_legacy(encoded)
    # a former system's text without the marker is not verified as one
    assert hasher.verify(legacy_hash("hex_md5", PASSWORD), PASSWORD) is False


def _cpu(fn, times: int = 5) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.process_time()
        fn()
        best = min(best, time.process_time() - started)
    return best


def test_a_wrong_password_costs_what_an_unknown_name_costs(hasher):
    """A fast legacy hash (md5) must not tell a guesser that the name exists:
    its failure also pays an argon2id verification."""
    stored = p.legacy_stored(legacy_hash("hex_md5", PASSWORD))
    unknown = _cpu(lambda: hasher.verify(None, "Wrong-1234"))
    imported = _cpu(lambda: hasher.verify(stored, "Wrong-1234"))
    assert imported >= 0.8 * unknown
    assert imported <= 1.5 * unknown + 0.005
