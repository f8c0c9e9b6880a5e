"""The canonical phone form every service agrees on (it keys codes and look-ups)."""

from __future__ import annotations

from typing import Annotated

import phonenumbers
from phonenumbers import PhoneNumberType
from pydantic import AfterValidator

from contracts.models import rule_error

_MOBILE = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


class PhoneInvalid(ValueError):
    pass


def normalize_phone(raw: str) -> str:
    """E.164 form of a mobile number that can receive SMS.

    Mainland numbers may be given without a country code (11 digits starting with
    1); numbers of other regions must be in E.164 (``+852...``). Raises
    :class:`PhoneInvalid` for anything else.
    """
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 32:
        raise PhoneInvalid("phone must be a mobile number")
    text = raw.strip().replace(" ", "").replace("-", "")
    region = None if text.startswith("+") else "CN"
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise PhoneInvalid("phone is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneInvalid("phone is not a valid number")
    if phonenumbers.number_type(number) not in _MOBILE:
        raise PhoneInvalid("phone is not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _normalized(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except PhoneInvalid as exc:
        message = str(exc)
        raise rule_error("phone_invalid", message[:1].upper() + message[1:]) from None


Phone = Annotated[str, AfterValidator(_normalized)]
"""A mobile phone in a message: read in any form :func:`normalize_phone` takes,
kept in its canonical E.164 form; ``phone_invalid`` otherwise."""
