"""The canonical phone form every service agrees on (it keys codes and look-ups)."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType

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
