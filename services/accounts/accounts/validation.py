"""Collecting every field error of one request, then raising them together."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from contracts.errors import InvalidInput, field_error
from contracts.phones import PhoneInvalid, normalize_phone

_SMS_CODE = re.compile(r"[0-9]{6}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
_TELEPHONE = re.compile(r"[0-9+()\- ]{5,32}")


class FieldErrors:
    def __init__(self, prefix: str = ""):
        self.errors: list[dict] = []
        self.prefix = prefix

    def add(self, field: str, code: str, message: str) -> None:
        self.errors.append(field_error(self.prefix + field, code, message))

    def nested(self, prefix: str) -> FieldErrors:
        """The same list, with field names under ``prefix.``."""
        child = FieldErrors(self.prefix + prefix + ".")
        child.errors = self.errors
        return child

    def has(self, field: str) -> bool:
        return any(e["field"] == self.prefix + field for e in self.errors)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise invalid(self.errors)


def invalid(errors: list[dict]) -> InvalidInput:
    return InvalidInput(
        "validation_failed",
        "Some fields are not valid; see errors.",
        {"errors": errors},
    )


def single(field: str, code: str, message: str) -> InvalidInput:
    return invalid([field_error(field, code, message)])


def text(
    data: dict,
    field: str,
    errors: FieldErrors,
    *,
    required: bool = True,
    max_length: int = 100,
    code: str | None = None,
) -> str | None:
    """A trimmed single-line text, or None (with an error when it was required)."""
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(field, "required", "This field is required")
        return None
    if not isinstance(value, str):
        errors.add(field, code or f"{field}_invalid", "This field must be text")
        return None
    value = unicodedata.normalize("NFC", value.strip())
    if len(value) > max_length:
        errors.add(
            field, code or f"{field}_invalid", f"At most {max_length} characters"
        )
        return None
    if any(unicodedata.category(c).startswith("C") for c in value):
        errors.add(
            field, code or f"{field}_invalid", "Control characters are not allowed"
        )
        return None
    return value


def raw_string(data: dict, field: str, errors: FieldErrors) -> str | None:
    """A string exactly as sent (passwords: never trimmed or normalised)."""
    value = data.get(field)
    if value is None or value == "":
        errors.add(field, "required", "This field is required")
        return None
    if not isinstance(value, str):
        errors.add(field, f"{field}_invalid", "This field must be text")
        return None
    return value


def phone(data: dict, field: str, errors: FieldErrors) -> str | None:
    value = data.get(field)
    if value is None or value == "":
        errors.add(field, "required", "This field is required")
        return None
    try:
        return normalize_phone(value)
    except PhoneInvalid as exc:
        errors.add(field, "phone_invalid", str(exc).capitalize())
        return None


def sms_code(data: dict, field: str, errors: FieldErrors) -> str | None:
    value = data.get(field)
    if value is None or value == "":
        errors.add(field, "required", "This field is required")
        return None
    if not isinstance(value, str) or not _SMS_CODE.fullmatch(value):
        errors.add(field, "sms_code_invalid", "The SMS code is 6 digits")
        return None
    return value


def choice(data: dict, field: str, values: tuple[str, ...], errors: FieldErrors):
    value = data.get(field)
    if value is None or value == "":
        errors.add(field, "required", "This field is required")
        return None
    if value not in values:
        errors.add(field, f"{field}_invalid", f"One of: {', '.join(values)}")
        return None
    return value


def a_date(
    data: dict, field: str, errors: FieldErrors, required: bool = True
) -> date | None:
    value = data.get(field)
    if value is None or value == "":
        if required:
            errors.add(field, "required", "This field is required")
        return None
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        errors.add(field, f"{field}_invalid", "A date as YYYY-MM-DD")
        return None


def email(data: dict, field: str, errors: FieldErrors) -> str | None:
    value = text(data, field, errors, required=False, max_length=254)
    if value is not None and not _EMAIL.fullmatch(value):
        errors.add(field, "email_invalid", "Not an e-mail address")
        return None
    return value


def telephone(data: dict, field: str, errors: FieldErrors) -> str | None:
    value = text(data, field, errors, required=False, max_length=32)
    if value is not None and not _TELEPHONE.fullmatch(value):
        errors.add(field, "telephone_invalid", "Digits, spaces, + ( ) and - only")
        return None
    return value


def homepage(data: dict, field: str, errors: FieldErrors) -> str | None:
    value = text(data, field, errors, required=False, max_length=300)
    if value is not None and not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", value):
        errors.add(field, "homepage_invalid", "An http:// or https:// address")
        return None
    return value
