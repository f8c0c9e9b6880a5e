"""Identity rules against the standards, with generated valid and invalid cases."""

from __future__ import annotations

import random
from datetime import date

import pytest
from accounts import documents as d
from stdnum.cn import ric, uscc

from tests import identity_data as gen

TODAY = date(2026, 6, 1)
RNG_SEED = 20260601


def replace_check(number: str, good: str) -> list[str]:
    alphabet = "0123456789X" if len(good) == 1 and good in "0123456789X" else ""
    return [number[:-1] + c for c in alphabet if c != good]


# --- GB 11643: resident ID -------------------------------------------------------------


def test_many_generated_resident_ids_pass_and_every_wrong_check_char_fails():
    rng = random.Random(RNG_SEED)
    for _ in range(500):
        number = gen.resident_id(rng)
        doc = d.parse_document("mainland", "resident_id", number, TODAY)
        assert doc.number == number
        for wrong in replace_check(number, number[-1]):
            with pytest.raises(d.IdentityRuleError) as err:
                d.parse_document("mainland", "resident_id", wrong, TODAY)
            assert err.value.code == "doc_number_invalid"


def test_our_check_character_agrees_with_the_standard_for_every_17_digit_body():
    rng = random.Random(RNG_SEED + 1)
    for _ in range(5000):
        body = "".join(rng.choice("0123456789") for _ in range(17))
        assert d.gb11643_check_char(body) == gen.gb11643_check(body)


def test_one_changed_digit_is_always_caught():
    rng = random.Random(RNG_SEED + 2)
    for _ in range(200):
        number = gen.resident_id(rng)
        position = rng.randrange(17)
        digit = rng.choice([c for c in "0123456789" if c != number[position]])
        changed = number[:position] + digit + number[position + 1 :]
        # a changed birth-date digit may also make the date impossible: still invalid
        with pytest.raises(d.IdentityRuleError):
            d.parse_document("mainland", "resident_id", changed, TODAY)


def test_the_standard_example_with_check_x_passes_lower_case_and_full_width_too():
    # GB 11643-1999's own worked example.
    assert d.parse_document("mainland", "resident_id", "11010519491231002X", TODAY)
    assert (
        d.parse_document("mainland", "resident_id", "11010519491231002x", TODAY).number
        == "11010519491231002X"
    )
    full_width = "１１０１０５１９４９１２３１００２Ｘ"
    assert (
        d.parse_document("mainland", "resident_id", full_width, TODAY).number
        == "11010519491231002X"
    )
    spaced = " 110105 19491231 002X "
    assert (
        d.parse_document("mainland", "resident_id", spaced, TODAY).number
        == "11010519491231002X"
    )


@pytest.mark.parametrize(
    "born",
    [
        "19490230",
        "20230229",
        "19991301",
        "19990001",
        "19990100",
        "18991231",
        "20260602",
    ],
    ids=["feb30", "not-leap", "month13", "month0", "day0", "before-1900", "future"],
)
def test_a_resident_id_without_a_real_past_birth_date_fails(born):
    body = f"110105{born}001"
    number = body + gen.gb11643_check(body)
    with pytest.raises(d.IdentityRuleError, match="birth date"):
        d.parse_document("mainland", "resident_id", number, TODAY)


def test_leap_day_birth_date_passes():
    body = "11010520000229001"
    assert d.parse_document(
        "mainland", "resident_id", body + gen.gb11643_check(body), TODAY
    )


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002",  # 17 chars
        "11010519491231002XX",  # 19 chars
        "1101051949123100X2",  # X not last
        "A1010519491231002X",
        "110105194912310０2X"[:-2] + "-2X",
        "",
    ],
)
def test_malformed_resident_ids_fail(number):
    with pytest.raises(d.IdentityRuleError):
        d.parse_document("mainland", "resident_id", number, TODAY)


def test_a_resident_id_with_a_non_mainland_province_code_fails():
    for prefix in ("000000", "710000", "810000", "990000"):
        body = f"{prefix}19900101001"
        number = body + gen.gb11643_check(body)
        with pytest.raises(d.IdentityRuleError, match="province"):
            d.parse_document("mainland", "resident_id", number, TODAY)


# --- where python-stdnum is wrong (wrapped; each case is the reason for the wrap) ----


def test_stdnum_refuses_a_real_hainan_id_of_someone_born_before_1988_we_accept_it():
    """An ID carries the code of the county that issued it: Haikou's 460100 has been
    issued since Hainan became a province in 1988, also to people born earlier.
    stdnum checks the county list of the birth year and refuses them."""
    number = gen.resident_id(random.Random(1), address="460100", born=date(1950, 3, 1))
    assert not ric.is_valid(number)
    assert d.parse_document("mainland", "resident_id", number, TODAY).number == number


def test_stdnum_refuses_a_chongqing_id_of_someone_born_before_1997_we_accept_it():
    number = gen.resident_id(random.Random(2), address="500103", born=date(1960, 7, 15))
    assert not ric.is_valid(number)
    assert d.parse_document("mainland", "resident_id", number, TODAY)


def test_stdnum_accepts_a_birth_date_in_the_future_we_refuse_it():
    body = "11010521000101001"
    number = body + gen.gb11643_check(body)
    assert ric.is_valid(number)
    with pytest.raises(d.IdentityRuleError):
        d.parse_document("mainland", "resident_id", number, TODAY)


def test_stdnum_refuses_credit_codes_of_letter_authorities_we_accept_them():
    """GB 32100 registration-authority codes include letters (N: rural collective
    economic organisations, Y: other); stdnum wants digits there."""
    for authority, kind in (("N", "2"), ("Y", "1"), ("A", "1")):
        code = gen.credit_code(random.Random(3), authority=authority, kind=kind)
        assert not uscc.is_valid(code)
        assert d.check_credit_code(code) == code


# --- derived gender and birth date ----------------------------------------------------


def test_gender_and_birth_date_come_from_the_resident_id():
    male = gen.resident_id(random.Random(4), born=date(1985, 4, 12), gender="male")
    female = gen.resident_id(random.Random(5), born=date(1991, 11, 30), gender="female")
    doc = d.parse_document("mainland", "resident_id", male, TODAY)
    assert (doc.gender, doc.birth_date) == ("male", date(1985, 4, 12))
    doc = d.parse_document("mainland", "resident_id", female, TODAY)
    assert (doc.gender, doc.birth_date) == ("female", date(1991, 11, 30))


# --- HK / Macau / Taiwan ---------------------------------------------------------------


@pytest.mark.parametrize("prefix", d.HMT_PERMIT_PREFIXES)
def test_hmt_residence_permits_pass_with_each_prefix(prefix):
    rng = random.Random(RNG_SEED + 3)
    for _ in range(100):
        number = gen.hmt_residence_permit(rng, prefix)
        doc = d.parse_document("hmt", "hmt_residence_permit", number, TODAY)
        assert doc.number == number and doc.birth_date is not None
        for wrong in replace_check(number, number[-1]):
            with pytest.raises(d.IdentityRuleError):
                d.parse_document("hmt", "hmt_residence_permit", wrong, TODAY)


def test_a_residence_permit_needs_one_of_the_three_prefixes():
    for prefix in ("840000", "810001", "110105"):
        body = f"{prefix}19900101001"
        with pytest.raises(d.IdentityRuleError):
            d.parse_document(
                "hmt", "hmt_residence_permit", body + gen.gb11643_check(body), TODAY
            )


# Documents whose number has a plain format: each valid number parses, each other one
# is refused. One table, so a new document type is one more entry, not one more test.
PLAIN_NUMBERS: dict[tuple[str, str], dict[str, bool]] = {
    ("hmt", "hk_macau_permit"): {
        "H12345678": True,
        "M87654321": True,
        "h12345678": True,
        "H1234567801": True,  # older booklet: 8-digit number + 2-digit issue count
        "M123456789": True,
        "H1234567": False,
        "H12345678901": False,
        "K12345678": False,
        "12345678": False,
        "HH2345678": False,
    },
    ("hmt", "taiwan_permit"): {
        "12345678": True,
        "1234567": False,
        "123456789": False,
        "T1234567": False,
    },
    ("other", "passport"): {
        "E12345": True,
        "AB1234567": True,
        "12345": True,
        "A" * 20: True,
        "A1234": True,
        "A123": False,
        "A" * 21: False,
        "E1234-567": False,
        "護照12345": False,
    },
}


@pytest.mark.parametrize(
    ("region", "doc_type", "number", "valid"),
    [
        pytest.param(region, doc_type, number, valid, id=f"{doc_type}-{number}")
        for (region, doc_type), numbers in PLAIN_NUMBERS.items()
        for number, valid in numbers.items()
    ],
)
def test_plain_document_numbers(region, doc_type, number, valid):
    if valid:
        assert d.parse_document(region, doc_type, number, TODAY)
    else:
        with pytest.raises(d.IdentityRuleError):
            d.parse_document(region, doc_type, number, TODAY)


# --- other: passports and permanent residence cards -----------------------------------


def test_both_forms_of_the_permanent_residence_card_pass():
    rng = random.Random(RNG_SEED + 4)
    for _ in range(200):
        old = gen.permanent_residence_2017(rng)
        new = gen.permanent_residence_2023(rng)
        assert d.parse_document("other", "foreign_permanent_residence", old, TODAY)
        assert d.parse_document("other", "foreign_permanent_residence", new, TODAY)
        for wrong in replace_check(new, new[-1]):
            with pytest.raises(d.IdentityRuleError):
                d.parse_document("other", "foreign_permanent_residence", wrong, TODAY)


@pytest.mark.parametrize(
    "number",
    [
        "AB123456789012",  # 2 letters
        "ABC12345678901",  # 11 digits
        "ABC1234567890123",  # 13 digits
        "123456789012345",
        "110105199001010011",  # 18 digits not starting with 9
    ],
)
def test_malformed_permanent_residence_cards_fail(number):
    with pytest.raises(d.IdentityRuleError):
        d.parse_document("other", "foreign_permanent_residence", number, TODAY)


def test_a_2023_card_without_a_real_birth_date_fails():
    body = "911840" + "19901332" + "001"
    with pytest.raises(d.IdentityRuleError, match="birth date"):
        d.parse_document(
            "other",
            "foreign_permanent_residence",
            body + gen.gb11643_check(body),
            TODAY,
        )


# --- regions and document types --------------------------------------------------------


def test_every_region_offers_exactly_its_document_types():
    assert d.DOC_TYPES_BY_REGION == {
        "mainland": ("resident_id",),
        "hmt": ("hk_macau_permit", "taiwan_permit", "hmt_residence_permit"),
        "other": ("passport", "foreign_permanent_residence"),
    }
    for region, types in d.DOC_TYPES_BY_REGION.items():
        for doc_type in d.DOC_TYPES:
            problems = d.check_region_and_type(region, doc_type)
            if doc_type in types:
                assert problems == []
            else:
                assert [p[1] for p in problems] == ["doc_type_not_allowed_for_region"]


def test_unknown_region_and_type_have_their_own_codes():
    codes = [p[1] for p in d.check_region_and_type("mars", "laissez_passer")]
    assert codes == ["identity_region_invalid", "doc_type_invalid"]
    with pytest.raises(d.IdentityRuleError) as err:
        d.parse_document("mainland", "passport", "E12345", TODAY)
    assert err.value.code == "doc_type_not_allowed_for_region"


def test_non_string_and_oversized_numbers_fail_cleanly():
    for value in (None, 12345678, ["x"], "1" * 65):
        with pytest.raises(d.IdentityRuleError):
            d.parse_document("other", "passport", value, TODAY)


# --- GB 32100: unified social credit code ------------------------------------------------


def test_many_generated_credit_codes_pass_and_every_wrong_check_char_fails():
    rng = random.Random(RNG_SEED + 5)
    for _ in range(500):
        code = gen.credit_code(rng)
        assert d.check_credit_code(code) == code
        assert d.check_credit_code(code.lower()) == code
        for c in gen.USCC_ALPHABET:
            if c != code[-1]:
                with pytest.raises(d.IdentityRuleError) as err:
                    d.check_credit_code(code[:-1] + c)
                assert err.value.code == "credit_code_invalid"


def test_our_credit_code_check_agrees_with_the_standard_for_random_bodies():
    rng = random.Random(RNG_SEED + 6)
    for _ in range(3000):
        body = "".join(rng.choice(gen.USCC_ALPHABET) for _ in range(2))
        body += "".join(rng.choice("0123456789") for _ in range(6))
        body += "".join(rng.choice(gen.USCC_ALPHABET) for _ in range(9))
        good = body + gen.uscc_check(body)
        assert d.check_credit_code(good) == good


def test_a_well_known_format_example_passes():
    assert d.check_credit_code("91110000600037341L") == "91110000600037341L"


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341",  # 17 chars
        "91110000600037341LL",
        "9111000060003734IL",  # I is not in the alphabet
        "9111000060003734OL",
        "9111000060003734SL",
        "9111000060003734VL",
        "9111000060003734ZL",
        "91A10000600037341L",  # division code must be digits
        "",
    ],
)
def test_malformed_credit_codes_fail(code):
    with pytest.raises(d.IdentityRuleError):
        d.check_credit_code(code)


def test_registration_numbers_of_other_jurisdictions():
    assert d.check_registration_number(" br-1234567 ") == "BR-1234567"
    assert d.check_registration_number("12345678") == "12345678"
    for bad in ("", "A", "x" * 51, "ab_12", None):
        with pytest.raises(d.IdentityRuleError) as err:
            d.check_registration_number(bad)
        assert err.value.code == "registration_number_invalid"
