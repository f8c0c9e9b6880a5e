"""The field types of accounts' messages: names, codes, documents, contact details.

Each type checks a field's *shape* wherever the message is read (the gateway, the
accounts entrypoint) and reports the code accounts always answered for it
(``login_name_invalid``, ``sms_code_invalid``, ``email_invalid``...). The rules a
shape cannot state (document check characters, a document type allowed for a
region, the password rule, uniqueness) stay in the accounts service.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from contracts.models import (
    ErrorCode,
    Secret,
    Text,
    blank_is_missing,
    empty_is_missing,
    rule_error,
)
from contracts.phones import Phone
from contracts.shapes import NOT_BLANK, NewPasswordShape

IDENTITY_REGIONS = ("mainland", "hmt", "other")
DOC_TYPES_BY_REGION = {
    "mainland": ("resident_id",),
    "hmt": ("hk_macau_permit", "taiwan_permit", "hmt_residence_permit"),
    "other": ("passport", "foreign_permanent_residence"),
}
ORGANIZATION_REGIONS = ("domestic", "hmt", "overseas")
LEGAL_PERSON_TYPES = ("enterprise", "social_org", "institution", "other")
REAL_NAME_STATUSES = (
    "unverified",
    "pending",
    "passed",
    "failed",
    "manual_review",
    "rejected",
)

IdentityRegion = Literal["mainland", "hmt", "other"]
DocType = Literal[
    "resident_id",
    "hk_macau_permit",
    "taiwan_permit",
    "hmt_residence_permit",
    "passport",
    "foreign_permanent_residence",
]
OrganizationRegion = Literal["domestic", "hmt", "overseas"]
LegalPersonType = Literal["enterprise", "social_org", "institution", "other"]
RealNameStatus = Literal[
    "unverified", "pending", "passed", "failed", "manual_review", "rejected"
]
AccountKind = Literal["person", "organization", "staff"]
AgreementKind = Literal["person", "organization"]
AgreementLanguage = Literal["zh-CN", "en"]
Role = Literal["user", "reviewer"]


def _fullmatch(regex: str, code: str, message: str) -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise rule_error(code, message)
        return value

    return AfterValidator(check)


def _matching(kind: Any, regex: str, code: str, message: str, **field: Any) -> Any:
    """``kind`` that must match ``regex`` whole (``code``, with ``message``, when it
    does not); the pattern is in the schema too, beside ``field`` (description,
    examples)."""
    return Annotated[
        kind,
        _fullmatch(regex, code, message),
        ErrorCode(code),
        Field(json_schema_extra={"pattern": f"^{regex}$"}, **field),
    ]


def Optional(kind: Any) -> Any:
    """``kind | None``: blank text or ``null`` clears / leaves out the field."""
    return Annotated[kind | None, BeforeValidator(blank_is_missing)]


def _iso_date(code: str) -> Any:
    def read(value: Any) -> Any:
        if isinstance(value, date):
            return value
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            raise rule_error(code, "A date as YYYY-MM-DD") from None

    return BeforeValidator(read)


def IsoDate(code: str) -> Any:
    """A calendar date written ``YYYY-MM-DD``; ``code`` when it is not one."""
    return Annotated[
        date, _iso_date(code), Field(examples=["2020-01-01"]), ErrorCode(code)
    ]


LOGIN_NAME_MESSAGE = "A login name is 4 to 32 letters, digits and underscores"

LoginName = _matching(
    Annotated[str, BeforeValidator(empty_is_missing)],
    "[A-Za-z0-9_]{4,32}",
    "login_name_invalid",
    LOGIN_NAME_MESSAGE,
    description="Letters, digits and underscores, 4-32; unique case-insensitively.",
    examples=["zhang_wei"],
)

SmsCode = _matching(
    Secret,
    "[0-9]{6}",
    "sms_code_invalid",
    "The SMS code is 6 digits",
    description="The 6-digit code of `POST /sms-codes`.",
    examples=["123456"],
)

MobilePhone = Annotated[
    Phone,
    BeforeValidator(lambda v: None if v == "" else v),
    Field(
        description="A mobile number; mainland numbers may omit +86, other regions "
        "in E.164.",
        examples=["13800138000"],
    ),
]

Password = Annotated[Secret, NewPasswordShape, Field(examples=["Zhang-Wei-2024"])]
"""A new password: its rule is accounts' (``password_too_weak``), stated in the
document (8 to 128 characters...)."""

PersonName = Annotated[
    Text(100),
    Field(
        json_schema_extra=NOT_BLANK,
        description="A person's name, one line, no control characters.",
    ),
]

DocNumber = Annotated[
    str,
    BeforeValidator(blank_is_missing),
    StringConstraints(max_length=64),
    Field(
        description="Checked against the rules of its type (GB 11643 check "
        "character and birth date for a resident ID, permit prefixes...).",
        examples=["11010519491231002X"],
    ),
]

Email = _matching(
    Text(254),
    r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}",
    "email_invalid",
    "Not an e-mail address",
    examples=["wei@example.cn"],
)
Telephone = _matching(
    Text(32),
    r"[0-9+()\- ]{5,32}",
    "telephone_invalid",
    "Digits, spaces, + ( ) and - only",
    examples=["010-12345678"],
)
Homepage = _matching(
    Text(300),
    r"https?://[^\s/$.?#][^\s]*",
    "homepage_invalid",
    "An http:// or https:// address",
    examples=["https://example.cn"],
)

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
AccountId = Annotated[str, Field(json_schema_extra={"format": "uuid"})]

RequestId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    ErrorCode("request_id_invalid"),
    Field(description="1 to 64 characters."),
]


# --- what the document states and accounts checks (see contracts.shapes) ----------

# The canonical form of each document's number (accounts also takes full-width
# characters, spaces and small letters and normalises them; the check character,
# birth date and province code are checked by accounts).
DOC_NUMBER_PATTERNS = {
    "resident_id": "^[1-6][0-9]{16}[0-9X]$",
    "hk_macau_permit": "^[HM][0-9]{8,10}$",
    "taiwan_permit": "^[0-9]{8}$",
    "hmt_residence_permit": "^8[123]0000[0-9]{11}[0-9X]$",
    "passport": "^[A-Z0-9]{5,20}$",
    "foreign_permanent_residence": "^([A-Z]{3}[0-9]{12}|9[0-9]{16}[0-9X])$",
}


def _one_document(region: str, doc_type: str) -> dict[str, Any]:
    return {
        "properties": {
            "identity_region": {"const": region},
            "doc_type": {"const": doc_type},
            "doc_number": {"type": "string", "pattern": DOC_NUMBER_PATTERNS[doc_type]},
        }
    }


DOCUMENT_RULE: dict[str, Any] = {
    "oneOf": [
        _one_document(region, doc_type)
        for region, doc_types in DOC_TYPES_BY_REGION.items()
        for doc_type in doc_types
    ]
}
"""An identity document: a type its region offers
(``doc_type_not_allowed_for_region``) and a number in that type's canonical form
(``doc_number_invalid``)."""

REGION_DOC_TYPE_RULE: dict[str, Any] = {
    "oneOf": [
        {
            "properties": {
                "identity_region": {"const": region},
                "doc_type": {"enum": list(doc_types)},
            }
        }
        for region, doc_types in DOC_TYPES_BY_REGION.items()
    ]
}
"""The document types each identity region offers, without the number's form."""

CREDIT_CODE_PATTERN = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
REGISTRATION_NUMBER_PATTERN = "^[A-Z0-9][A-Z0-9/.()-]{1,49}$"

ORGANIZATION_CODE_RULE: dict[str, Any] = {
    "oneOf": [
        {
            "properties": {"region": {"const": "domestic"}},
            "required": ["credit_code"],
        },
        {
            "properties": {"region": {"enum": ["hmt", "overseas"]}},
            "required": ["registration_number"],
        },
    ]
}
"""A domestic organisation gives its credit code, the others a registration
number (``required`` otherwise)."""
