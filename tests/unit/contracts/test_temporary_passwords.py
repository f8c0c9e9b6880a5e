"""The one temporary-password generator: what the reviewer or the appellant receives
must pass the password rule at once and never repeat."""

from __future__ import annotations

import string

import pytest
from contracts.temporary_passwords import LENGTH, POOLS, SYMBOLS, generate


def test_every_password_has_all_four_classes_and_the_default_length():
    for _ in range(500):
        password = generate()
        assert len(password) == LENGTH == 16
        assert any(c in string.ascii_lowercase for c in password)
        assert any(c in string.ascii_uppercase for c in password)
        assert any(c in string.digits for c in password)
        assert any(c in SYMBOLS for c in password)


def test_only_characters_of_the_four_pools_are_used():
    allowed = set("".join(POOLS))
    for _ in range(200):
        assert set(generate()) <= allowed
    # nothing a reader could confuse with a space or a quote when it is read out
    assert not set(" '\"\\`") & allowed


@pytest.mark.parametrize("length", [4, 8, 24])
def test_the_length_can_be_chosen(length):
    password = generate(length)
    assert len(password) == length
    assert all(any(c in pool for c in password) for pool in POOLS)


def test_fewer_characters_than_classes_is_refused():
    with pytest.raises(ValueError, match="at least 4"):
        generate(3)


def test_passwords_do_not_repeat():
    assert len({generate() for _ in range(1000)}) == 1000


def test_the_classes_are_not_always_in_the_same_places():
    # The four required characters are shuffled in, not left at the front.
    firsts = {generate()[0] in string.ascii_lowercase for _ in range(200)}
    assert firsts == {True, False}
