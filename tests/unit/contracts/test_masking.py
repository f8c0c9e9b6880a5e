"""What a reader of a mask sees (api.md): the first and last characters, a fixed
number of stars that never tells the value's length, nothing else."""

from __future__ import annotations

import pytest
from contracts.masking import (
    STARS,
    mask_credit_code,
    mask_document,
    mask_name,
    mask_phone,
    mask_telephone,
)


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+8618912345141", "18*****141"),  # a mainland mobile: 11 digits
        ("+85291234567", "91*****567"),  # Hong Kong: 8 digits, the same five stars
    ],
)
def test_a_phone_shows_its_first_two_and_last_three_national_digits(e164, shown):
    assert mask_phone(e164) == shown


def test_a_phone_mask_has_five_stars_whatever_the_length():
    assert mask_phone("+8618912345141").count("*") == 5
    assert mask_phone("+85291234567").count("*") == 5
    assert STARS == "*****"


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("010-12345678", "01*****678"),
        (" 0755 8888 1234 ", "07*****234"),  # as typed, without the outer spaces
        ("12345", "*****"),  # too short to show anything
    ],
)
def test_a_telephone_shows_first_two_and_last_three_characters(number, shown):
    assert mask_telephone(number) == shown


def test_a_telephone_mask_does_not_tell_the_length():
    assert mask_telephone("1234").count("*") == mask_telephone("12345").count("*")
    assert mask_telephone("010-1234567").count("*") == 5
    assert mask_telephone("+86 (010) 1234-5678").count("*") == 5


def test_masking_shows_first_three_and_last_two():
    assert mask_document("11010519491231002X") == "110********2X"
    assert mask_document("E12345") == "E12********45"
    assert mask_document("12345") == "1****"


@pytest.mark.parametrize("number", ["E12345", "H1234567890", "11010519491231002X"])
def test_a_document_mask_has_eight_stars_whatever_the_length(number):
    shown = mask_document(number)
    assert shown.startswith(number[:3]) and shown.endswith(number[-2:])
    assert shown[3:-2] == "*" * 8
    assert len(shown) == 13


def test_a_credit_code_is_shown_like_a_document():
    code = "91350100M000100Y43"
    assert mask_credit_code(code) == "913********43"
    assert mask_credit_code(code) == mask_document(code)


@pytest.mark.parametrize(
    ("name", "shown"),
    [("张伟", "张*"), ("欧阳娜娜", "欧***"), ("王", "*"), (" 李娜 ", "李*"), ("", "")],
)
def test_a_name_shows_its_first_character_only(name, shown):
    assert mask_name(name) == shown
