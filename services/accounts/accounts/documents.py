"""Identity rules: identity regions, document types and organisation codes.

Pure functions, no I/O. Every check normalises first (NFKC, so full-width digits
count; surrounding and inner spaces dropped; letters upper-cased) and returns the
normalised form, which is what is encrypted, indexed and compared.

python-stdnum is used where it is right, and wrapped where it is not:

* ``stdnum.cn.ric.calc_check_digit`` implements the GB 11643-1999 ISO 7064
  MOD 11-2 check character correctly and is used for every GB 11643-shaped number
  (resident ID, HK/Macau/Taiwan residence permit, 2023 permanent residence card).
  ``stdnum.cn.ric.validate`` is *not* used: it checks the address code against the
  county list of the *birth year*, but an ID carries the code of the county that
  issued it, so it refuses real IDs (a Hainan resident born before Hainan became a
  province in 1988, a Chongqing resident born before 1997); and it accepts birth
  dates in the future. We check the province part of the address code and that the
  birth date is a real past date instead.
* ``stdnum.cn.uscc.calc_check_digit`` implements the GB 32100-2015 mod-31 check
  character correctly. ``stdnum.cn.uscc.validate`` is *not* used: it requires the
  first two characters (registration authority and entity type) to be digits,
  but the standard's authority codes include letters (``A``, ``N`` for rural
  collective economic organisations, ``Y`` "other"), so it refuses real codes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from contracts.accounts import (  # the published names: one source of truth
    DOC_TYPES_BY_REGION,
    IDENTITY_REGIONS,
)
from stdnum.cn import ric, uscc

DOC_TYPES = tuple(t for types in DOC_TYPES_BY_REGION.values() for t in types)

# GB/T 2260 province-level codes of the mainland (the first two address digits).
MAINLAND_PROVINCES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23"}
    | {"31", "32", "33", "34", "35", "36", "37"}
    | {"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54"}
    | {"61", "62", "63", "64", "65"}
)
# GB 11643-shaped residence permits of HK, Macau and Taiwan residents.
HMT_PERMIT_PREFIXES = ("810000", "820000", "830000")

# Nobody alive was born before this; older "birth dates" are typing errors.
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
# Document types that state gender and birth date: my information reads those
# from the number, and they follow a corrected document.
DERIVED_FROM_DOCUMENT = ("resident_id", "hmt_residence_permit")

_GB11643_BODY = re.compile(r"[0-9]{17}[0-9X]")
_HK_MACAU_PERMIT = re.compile(r"[HM](?:[0-9]{8}|[0-9]{9}|[0-9]{10})")
_TAIWAN_PERMIT = re.compile(r"[0-9]{8}")
_PASSPORT = re.compile(r"[A-Z0-9]{5,20}")
_FPR_2017 = re.compile(r"[A-Z]{3}[0-9]{12}")
_REGISTRATION_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9/.()-]{1,49}")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


class IdentityRuleError(ValueError):
    """A value breaks an identity rule; ``code`` is the stable field error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Document:
    """A valid identity document, normalised.

    ``birth_date`` and ``gender`` (``male``/``female``) are known only for
    GB 11643-shaped numbers that encode them (resident ID, HMT residence permit).
    """

    identity_region: str
    doc_type: str
    number: str
    birth_date: date | None = None
    gender: str | None = None


def normalize(raw: str) -> str:
    """NFKC, no spaces anywhere, upper case."""
    text = unicodedata.normalize("NFKC", raw)
    return "".join(text.split()).upper()


def gb11643_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of GB 11643 (``0``-``9`` or ``X``)."""
    # calc_check_digit ignores the last character of what it is given.
    return ric.calc_check_digit(first17 + "0")


def _birth_date(digits8: str, today: date) -> date | None:
    try:
        born = date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        return None
    if born < EARLIEST_BIRTH_DATE or born > today:
        return None
    return born


def _gb11643(number: str, today: date, what: str) -> tuple[date, str]:
    """Check length, characters, birth date and check character; (birth, gender)."""
    if not _GB11643_BODY.fullmatch(number):
        raise IdentityRuleError(
            "doc_number_invalid", f"{what} is 17 digits and a check digit or X"
        )
    born = _birth_date(number[6:14], today)
    if born is None:
        raise IdentityRuleError(
            "doc_number_invalid", f"{what} does not contain a real birth date"
        )
    if number[17] != gb11643_check_char(number[:17]):
        raise IdentityRuleError(
            "doc_number_invalid", f"{what} has a wrong check character"
        )
    gender = "male" if int(number[16]) % 2 == 1 else "female"
    return born, gender


def check_resident_id(number: str, today: date) -> tuple[date, str]:
    """A mainland resident ID (GB 11643-1999); returns (birth date, gender)."""
    born, gender = _gb11643(number, today, "A resident ID")
    if number[:2] not in MAINLAND_PROVINCES:
        raise IdentityRuleError(
            "doc_number_invalid", "A resident ID starts with a mainland province code"
        )
    return born, gender


def check_hmt_residence_permit(number: str, today: date) -> tuple[date, str]:
    """A residence permit for HK/Macau/Taiwan residents: 810000/820000/830000 + GB 11643."""
    if not number.startswith(HMT_PERMIT_PREFIXES):
        raise IdentityRuleError(
            "doc_number_invalid",
            "A residence permit number starts with 810000, 820000 or 830000",
        )
    return _gb11643(number, today, "A residence permit number")


def check_foreign_permanent_residence(number: str, today: date) -> None:
    """2017 form: 3 letters + 12 digits; 2023 form: 18 chars from 9, GB 11643."""
    if _FPR_2017.fullmatch(number):
        return
    if len(number) == 18 and number.startswith("9"):
        _gb11643(number, today, "A permanent residence card number")
        return
    raise IdentityRuleError(
        "doc_number_invalid",
        "A permanent residence card number is 3 letters and 12 digits, "
        "or 18 digits starting with 9",
    )


def check_region_and_type(identity_region: object, doc_type: object) -> list[tuple]:
    """Field problems of the (region, type) pair: ``[(field, code, message)]``."""
    problems = []
    if identity_region not in IDENTITY_REGIONS:
        problems.append(
            ("identity_region", "identity_region_invalid", "Choose an identity region")
        )
    if doc_type not in DOC_TYPES:
        problems.append(("doc_type", "doc_type_invalid", "Choose a document type"))
    elif identity_region in IDENTITY_REGIONS and (
        doc_type not in DOC_TYPES_BY_REGION[identity_region]
    ):
        problems.append(
            (
                "doc_type",
                "doc_type_not_allowed_for_region",
                f"This document type is not offered for the region {identity_region}",
            )
        )
    return problems


# Document types whose number is checked by its form alone: (pattern, message).
_FORM_RULES = {
    "hk_macau_permit": (
        _HK_MACAU_PERMIT,
        "A Mainland Travel Permit for HK/Macau residents is H or M and 8 "
        "digits (older permits: 9 or 10 digits)",
    ),
    "taiwan_permit": (
        _TAIWAN_PERMIT,
        "A Mainland Travel Permit for Taiwan residents is 8 digits",
    ),
    "passport": (_PASSPORT, "A passport number is 5 to 20 letters and digits"),
}


def _check_number(doc_type: str, number: str, today: date):
    """The birth date and gender a number carries (or None, None); raises
    ``doc_number_invalid`` for a number its type refuses."""
    if doc_type == "resident_id":
        return check_resident_id(number, today)
    if doc_type == "hmt_residence_permit":
        return check_hmt_residence_permit(number, today)
    if doc_type == "foreign_permanent_residence":
        check_foreign_permanent_residence(number, today)
        return None, None
    pattern, message = _FORM_RULES[doc_type]
    if not pattern.fullmatch(number):
        raise IdentityRuleError("doc_number_invalid", message)
    return None, None


def parse_document(
    identity_region: str, doc_type: str, raw_number: object, today: date
) -> Document:
    """Validate a document against the rules of product.md; the normalised form.

    Raises :class:`IdentityRuleError` with ``identity_region_invalid``,
    ``doc_type_invalid``, ``doc_type_not_allowed_for_region`` or
    ``doc_number_invalid``.
    """
    problems = check_region_and_type(identity_region, doc_type)
    if problems:
        _, code, message = problems[0]
        raise IdentityRuleError(code, message)
    if not isinstance(raw_number, str) or not raw_number.strip():
        raise IdentityRuleError("doc_number_invalid", "Enter the document number")
    if len(raw_number) > 64:
        raise IdentityRuleError("doc_number_invalid", "The document number is too long")
    number = normalize(raw_number)
    birth, gender = _check_number(doc_type, number, today)
    return Document(identity_region, doc_type, number, birth, gender)


def check_credit_code(raw: object) -> str:
    """A unified social credit code (GB 32100-2015); returns the normalised code.

    18 characters from the code alphabet (no I, O, S, V, Z); characters 3-8 are
    the administrative division code (digits); the last is the mod-31 check
    character. Raises :class:`IdentityRuleError` (``credit_code_invalid``).
    """
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 64:
        raise IdentityRuleError("credit_code_invalid", "Enter the credit code")
    code = normalize(raw)
    if len(code) != 18 or any(c not in _USCC_ALPHABET for c in code):
        raise IdentityRuleError(
            "credit_code_invalid",
            "A credit code is 18 digits and capital letters (no I, O, S, V or Z)",
        )
    if not all(c in "0123456789" for c in code[2:8]):
        raise IdentityRuleError(
            "credit_code_invalid",
            "Characters 3 to 8 of a credit code are an administrative division code",
        )
    if code[17] != uscc.calc_check_digit(code[:17]):
        raise IdentityRuleError(
            "credit_code_invalid", "The credit code has a wrong check character"
        )
    return code


def check_registration_number(raw: object) -> str:
    """A registration number of a non-mainland jurisdiction (format varies).

    2-50 letters, digits and ``/ . ( ) -``. Raises ``registration_number_invalid``.
    """
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 64:
        raise IdentityRuleError(
            "registration_number_invalid", "Enter the registration number"
        )
    number = normalize(raw)
    if not _REGISTRATION_NUMBER.fullmatch(number):
        raise IdentityRuleError(
            "registration_number_invalid",
            "A registration number is 2 to 50 letters, digits and / . ( ) -",
        )
    return number
