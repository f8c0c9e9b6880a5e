"""Operator commands of the recovery service.

    python -m recovery.cli reencrypt-personal-data

Reads the same ``config.yml`` as the service (``RECOVERY_DB_URL``, ``PII_KEYS``,
``PII_ACTIVE_KEY_ID``...). ``reencrypt-personal-data`` rewrites the appeals'
encrypted fields under the active key after a key rotation (servicekit/rotation.py);
it prints what it rewrote per column and exits 1 if any value's key is not
configured. Appeal images are not rewritten: they are deleted
``APPEAL_FILE_RETENTION_SECONDS`` after the decision.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import servicekit  # noqa: F401 - process setup (warnings, psycopg wait function)
from servicekit.config import load_config
from servicekit.rotation import reencrypt_from_config

from recovery.appeals import ENCRYPTED_COLUMNS

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "config.yml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recovery.cli")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "reencrypt-personal-data",
        help="rewrite stored personal data under the active key (after a key rotation)",
    )
    args = parser.parse_args(argv)
    report = reencrypt_from_config(load_config(args.config), ENCRYPTED_COLUMNS)
    print(json.dumps(report, indent=2))
    return 1 if any(column["unreadable"] for column in report.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
