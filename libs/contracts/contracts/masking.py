"""How personal data is shown masked: the only masking code of the platform.

Every answer that shows a phone, a document number, a credit code or a person's name
to someone who should not read it in full uses these functions (api.md). A mask never
tells the value's length: the number of stars is fixed.
"""

from __future__ import annotations

import phonenumbers

STARS = "*****"


def mask_phone(e164: str) -> str:
    """``18*****141``: the national number's first 2 and last 3 digits."""
    national = str(phonenumbers.parse(e164, None).national_number)
    return national[:2] + STARS + national[-3:]


def mask_telephone(number: str) -> str:
    """A landline or any phone as typed: first 2 and last 3 characters shown."""
    digits = number.strip()
    if len(digits) <= 5:
        return STARS
    return digits[:2] + STARS + digits[-3:]


def mask_document(number: str) -> str:
    """An identity document's number: first 3 and last 2 characters, eight stars
    between them whatever the length (``110********34``)."""
    if len(number) <= 5:
        return number[:1] + "****"
    return number[:3] + "*" * 8 + number[-2:]


def mask_credit_code(code: str) -> str:
    """A credit code or registration number: shown like a document number."""
    return mask_document(code)


def mask_name(name: str) -> str:
    """A person's name as shown to someone else: the first character, then one
    ``*`` per other character (张** / 王*); a one-character name is ``*``."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)
