"""A generated import file of former-system accounts (accounts' ``import-legacy``).

    .venv/bin/python -m bench.legacy_file /tmp/legacy.csv --rows 100000

No real personal data: resident ID numbers and credit codes are computed from
the standards' check characters (``tests.identity_data``), unique per row; names
and phones are made up. Every row's password is ``PASSWORD``; each hash form the
import takes appears in turn (one hash per form, computed once: generating a
file of 100,000 rows takes seconds).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from accounts.legacy_rows import COLUMNS

from tests import identity_data as gen

PASSWORD = "Old-system-2019"  # noqa: S105 - generated test accounts only
HASH_FORMS = (
    "bcrypt",
    "md5_crypt",
    "sha256_crypt",
    "sha512_crypt",
    "pbkdf2_sha256",
    "ldap_salted_sha1",
    "ldap_sha1",
    "hex_md5",
    "hex_sha1",
)
_BORN_FROM = date(1950, 1, 1)


def legacy_hash(form: str, password: str = PASSWORD, cheap: bool = True) -> str:
    """The textual form a former system stored, made with libpass; ``cheap``
    uses the lowest work factors (tests and files made in bulk)."""
    from passlib import hash as h

    work = {
        "bcrypt": {"rounds": 4 if cheap else 10},
        "sha256_crypt": {"rounds": 1000} if cheap else {},
        "sha512_crypt": {"rounds": 1000} if cheap else {},
        "pbkdf2_sha256": {"rounds": 1000} if cheap else {},
    }
    text = getattr(h, form).using(**work.get(form, {})).hash(password)
    return {"hex_md5": f"md5:{text}", "hex_sha1": f"sha1:{text}"}.get(form, text)


# Documents and codes are numbered: a file's numbers start at a random offset so
# that two files rarely share one.
RESIDENT_IDS = len(gen.MAINLAND_ADDRESS_CODES) * 20_000 * 1000


def unique_resident_id(i: int) -> str:
    """A valid resident ID, different for every ``i`` below RESIDENT_IDS."""
    address = gen.MAINLAND_ADDRESS_CODES[i % len(gen.MAINLAND_ADDRESS_CODES)]
    rest = i // len(gen.MAINLAND_ADDRESS_CODES)
    born = _BORN_FROM + timedelta(days=rest // 1000)
    body = f"{address}{born:%Y%m%d}{rest % 1000:03d}"
    return body + gen.gb11643_check(body)


def unique_credit_code(i: int) -> str:
    """A valid unified social credit code, different for every ``i``."""
    digits, n = [], i
    for _ in range(9):
        n, r = divmod(n, len(gen.USCC_ALPHABET))
        digits.append(gen.USCC_ALPHABET[r])
    body = "91110105" + "".join(reversed(digits))
    return body + gen.uscc_check(body)


def _account(kind: str, i: int, prefix: str) -> dict:
    """What every row has: its ids and kind; the columns not of its kind empty."""
    mark = kind[0]
    return {column: "" for column in COLUMNS} | {
        "legacy_id": f"{prefix}{mark}{i}",
        "login_name": f"{prefix}_{mark}{i}",
        "account_kind": kind,
    }


def person_row(i: int, prefix: str, number: int) -> dict:
    return _account("person", i, prefix) | {
        "source_system": "programme_centre",
        "name": "测试用户",
        "identity_region": "mainland",
        "doc_type": "resident_id",
        "doc_number": unique_resident_id(number),
        "email": f"u{i}@example.cn",
        "created_at": "2015-03-01T08:30:00+08:00",
    }


def organization_row(i: int, prefix: str, number: int) -> dict:
    return _account("organization", i, prefix) | {
        "source_system": "hgr_approval",
        "name": f"测试研究所{i}",
        "credit_code": unique_credit_code(number),
        "created_at": "2012-07-15",
    }


def rows(
    count: int,
    prefix: str | None = None,
    forms: tuple[str, ...] = HASH_FORMS,
    organization_every: int = 10,
    rng: random.Random | None = None,
    start: int = 0,
) -> Iterator[dict]:
    """``count`` valid rows; every ``organization_every``-th an organisation.

    ``prefix`` keeps login names and legacy ids of two files apart (default:
    random); ``start`` the first number (ids and documents follow it)."""
    rng = rng or random.Random()
    prefix = prefix or f"b{rng.randrange(16**6):06x}"
    hashes = {form: legacy_hash(form) for form in forms}
    offset = rng.randrange(RESIDENT_IDS - start - count)
    for i in range(start, start + count):
        password_hash = hashes[forms[i % len(forms)]]
        make = organization_row if i % organization_every == 0 else person_row
        row = make(i, prefix, offset + i)
        yield row | {"phone": gen.mobile(rng), "password_hash": password_hash}


def write(path: Path, data: Iterator[dict]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(data)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--prefix", help="login-name prefix (default: random)")
    args = parser.parse_args()
    write(args.path, rows(args.rows, args.prefix))
    print(f"{args.rows} rows -> {args.path} (password {PASSWORD})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
