"""Generate the sample registry the simulated authority ships with.

    python -m verification.sample_registry > authority_registry.sample.csv

Every entry is made up: names are random pairings of common surnames and given-name
characters, document numbers are random with valid GB 11643 check digits, credit
codes random with valid GB 32100 check characters. No real person's or
organisation's data is in it (a collision with a real number would be chance).
"""

from __future__ import annotations

import csv
import io
import random
import sys
from datetime import date, timedelta

from verification.authority import REGISTRY_COLUMNS

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬"
ORG_WORDS = (
    "星河",
    "云栖",
    "瀚海",
    "青禾",
    "远帆",
    "启明",
    "山川",
    "澄光",
    "鹿鸣",
    "松涛",
)
ORG_KINDS = (
    "科技有限公司",
    "信息技术有限公司",
    "研究院",
    "生物医药有限公司",
    "软件有限公司",
)
CITIES = ("示例市", "样本市", "测试市")

_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_GB11643_CHECK = "10X98765432"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id(rng: random.Random) -> str:
    address = rng.choice(("110105", "310104", "440305", "500103"))
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    first17 = address + born.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
    total = sum(int(c) * w for c, w in zip(first17, _GB11643_WEIGHTS, strict=True))
    return first17 + _GB11643_CHECK[total % 11]


def credit_code(rng: random.Random) -> str:
    first17 = "91" + "110105" + "".join(rng.choice(_USCC_ALPHABET) for _ in range(9))
    total = sum(
        _USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True)
    )
    return first17 + _USCC_ALPHABET[(31 - total % 31) % 31]


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(
        rng.choice(GIVEN) for _ in range(rng.randint(1, 2))
    )


def person_row(rng: random.Random) -> dict[str, str]:
    if rng.random() < 0.8:
        doc_type, number = "resident_id", resident_id(rng)
    else:
        doc_type = "passport"
        number = "E" + "".join(rng.choice("0123456789") for _ in range(8))
    return {
        "kind": "person",
        "name": person_name(rng),
        "doc_type": doc_type,
        "doc_number": number,
    }


def organization_row(rng: random.Random) -> dict[str, str]:
    name = rng.choice(CITIES) + rng.choice(ORG_WORDS) + rng.choice(ORG_KINDS)
    return {
        "kind": "organization",
        "name": name,
        "credit_code": credit_code(rng),
        "legal_representative_name": person_name(rng),
    }


def write_registry(rows: list[dict[str, str]], out) -> None:
    writer = csv.DictWriter(out, fieldnames=REGISTRY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in REGISTRY_COLUMNS})


def generate(seed: int = 20261128, persons: int = 40, organizations: int = 15) -> str:
    rng = random.Random(seed)  # noqa: S311 - reproducible made-up registry rows
    rows = [person_row(rng) for _ in range(persons)]
    rows += [organization_row(rng) for _ in range(organizations)]
    out = io.StringIO()
    write_registry(rows, out)
    return out.getvalue()


if __name__ == "__main__":
    sys.stdout.write(generate())
