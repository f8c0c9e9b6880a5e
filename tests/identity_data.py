"""Generated identity test data, computed from the standards themselves.

These are reference implementations written from the text of GB 11643-1999 and
GB 32100-2015 (weights and tables copied from the standards), independent of the
code under test and of python-stdnum, so the tests compare two implementations.
Every number is generated: no real person's or organisation's data is used.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

# GB 11643-1999, 5.2: W_i = 2^(i-1) mod 11 for positions 18..2, and the check table.
GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
GB11643_CHECK = "10X98765432"  # indexed by (sum mod 11)

# GB 32100-2015, 4.3 and table 2: the 31 code characters and the weights 3^(i-1) mod 31.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

MAINLAND_ADDRESS_CODES = (
    "110105",  # Beijing, Chaoyang
    "310104",  # Shanghai, Xuhui
    "440305",  # Shenzhen, Nanshan
    "460100",  # Haikou (Hainan became a province in 1988)
    "500103",  # Chongqing, Yuzhong (a municipality since 1997)
    "650102",  # Urumqi, Tianshan
)


def gb11643_check(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, GB11643_WEIGHTS, strict=True))
    return GB11643_CHECK[total % 11]


def uscc_check(first17: str) -> str:
    total = sum(
        USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True)
    )
    return USCC_ALPHABET[(31 - total % 31) % 31]


def random_birth_date(rng: random.Random, start: date = date(1930, 1, 1)) -> date:
    span = (date(2005, 12, 31) - start).days
    return start + timedelta(days=rng.randrange(span))


def resident_id(
    rng: random.Random | None = None,
    address: str | None = None,
    born: date | None = None,
    gender: str | None = None,
) -> str:
    rng = rng or random.Random()
    address = address or rng.choice(MAINLAND_ADDRESS_CODES)
    born = born or random_birth_date(rng)
    sequence = rng.randrange(0, 1000)
    if gender is not None:
        sequence = sequence - sequence % 2 + (1 if gender == "male" else 0)
        sequence %= 1000
    body = f"{address}{born:%Y%m%d}{sequence:03d}"
    return body + gb11643_check(body)


def hmt_residence_permit(
    rng: random.Random | None = None, prefix: str = "810000"
) -> str:
    rng = rng or random.Random()
    body = f"{prefix}{random_birth_date(rng):%Y%m%d}{rng.randrange(1000):03d}"
    return body + gb11643_check(body)


def permanent_residence_2023(rng: random.Random | None = None) -> str:
    rng = rng or random.Random()
    body = f"9{rng.randrange(11, 66)}{rng.randrange(100, 900):03d}"
    body += f"{random_birth_date(rng):%Y%m%d}{rng.randrange(1000):03d}"
    return body + gb11643_check(body)


def permanent_residence_2017(rng: random.Random | None = None) -> str:
    rng = rng or random.Random()
    letters = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3))
    return letters + "".join(rng.choice("0123456789") for _ in range(12))


def credit_code(
    rng: random.Random | None = None, authority: str = "9", kind: str = "1"
) -> str:
    rng = rng or random.Random()
    region = rng.choice(MAINLAND_ADDRESS_CODES)
    organisation = "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    body = f"{authority}{kind}{region}{organisation}"
    return body + uscc_check(body)


def mobile(rng: random.Random | None = None) -> str:
    """A mainland mobile number in a real 13x range (accepted by phonenumbers)."""
    rng = rng or random.Random()
    return f"13{rng.randrange(10)}{rng.randrange(10**8):08d}"


def login_name(rng: random.Random | None = None, prefix: str = "user") -> str:
    rng = rng or random.Random()
    return f"{prefix}_{rng.randrange(16**10):010x}"


PASSWORD = "Qz8!mWv2#Lp"


def credentials(rng: random.Random, prefix: str) -> dict:
    """The login part every registration starts with: a fresh name, PASSWORD twice."""
    return {
        "login_name": login_name(rng, prefix),
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
    }


def mainland_person(rng: random.Random, name: str) -> dict:
    """A mainland resident's identity and mobile, as registrations and agents give it."""
    return {
        "name": name,
        "identity_region": "mainland",
        "doc_type": "resident_id",
        "doc_number": resident_id(rng),
        "phone": mobile(rng),
    }


def person_registration(rng: random.Random | None = None, **overrides) -> dict:
    """A complete, valid natural-person registration (sms_code left to the caller)."""
    rng = rng or random.Random()
    body = {
        **credentials(rng, "person"),
        **mainland_person(rng, "张伟"),
        "sms_code": "000000",
        "agreement_version": "2024-01",
    }
    body.update(overrides)
    return body


def organization_person(rng: random.Random, **overrides) -> dict:
    body = {
        **mainland_person(rng, "李娜"),
        "doc_valid_from": "2020-01-01",
        "doc_long_term": True,
    }
    body.update(overrides)
    return body


def organization_registration(rng: random.Random | None = None, **overrides) -> dict:
    """A complete, valid domestic organisation registration."""
    rng = rng or random.Random()
    body = {
        **credentials(rng, "org"),
        "name": "测试科技有限公司",
        "region": "domestic",
        "legal_person_type": "enterprise",
        "credit_code": credit_code(rng),
        "legal_representative": organization_person(rng),
        "main_agent": organization_person(
            rng,
            name="王芳",
            doc_long_term=False,
            doc_valid_to="2040-01-01",
            sms_code="000000",
        ),
        "agreement_version": "2024-01",
    }
    body.update(overrides)
    return body
