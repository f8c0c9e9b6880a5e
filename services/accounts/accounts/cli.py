"""Operator commands of the accounts service.

    python -m accounts.cli create-reviewer --login-name li_shenhe --name "李审核"
    python -m accounts.cli reencrypt-personal-data
    python -m accounts.cli import-legacy FILE [--dry-run]

Reads the same ``config.yml`` (``ACCOUNTS_DB_URL``...) and the same settings class
as the service (``AccountsSettings``: ``ARGON2_*``, ``TEMPORARY_PASSWORD_HOURS``...,
from the environment, with the service's defaults). The reviewer
gets a temporary password, printed once; the first login must change it.
``reencrypt-personal-data`` rewrites stored personal data under the active key
(``PII_ACTIVE_KEY_ID``) after a key rotation (servicekit/rotation.py); it prints what
it rewrote and exits 1 if any value's key is not configured.
``import-legacy`` imports the accounts of the former systems from a CSV file
(``accounts/legacy_rows.py``: the columns and rules); it prints each refused row
(line number and reason) and a summary, with a progress bar on a terminal; exit 0
when every row was imported or already there, 1 when some were refused, 2 when the
file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import servicekit  # noqa: F401 - process setup (warnings, psycopg wait function)
import sqlalchemy as sa
from contracts.errors import InvalidInput
from servicekit.clock import utc_now
from servicekit.config import load_config
from servicekit.crypto import PersonalDataCipher
from servicekit.rotation import reencrypt_from_config
from sqlalchemy.orm import Session

from accounts import legacy_import, legacy_rows, reviewers
from accounts.deps import Deps, Settings
from accounts.personal_data import ENCRYPTED_COLUMNS
from accounts.repository import Repository
from accounts.settings import AccountsSettings

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "config.yml"


def create_reviewer(config: dict, login_name: str, name: str) -> dict:
    engine = sa.create_engine(config["DB_URL"], poolclass=sa.pool.NullPool)
    values = AccountsSettings.from_config(config)
    settings = Settings.from_values(values)
    hasher = values.password_hasher()
    try:
        with Session(engine) as session:
            deps = Deps(
                repo=Repository(session),
                cipher=None,
                hasher=hasher,
                otp=None,
                sessions=None,
                guard=None,
                emit=None,
                settings=settings,
                clock=utc_now,
            )
            return reviewers.create_reviewer(deps, login_name, name)
    finally:
        engine.dispose()


def _progress(total: int, enabled: bool):
    """A rich progress bar on a terminal (stderr); nothing otherwise."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=None,
        disable=not enabled,
        transient=False,
    )


def _count_rows(path: Path) -> int:
    return sum(1 for _ in legacy_rows.read_rows(path))


def import_legacy(
    config: dict, path: Path, dry_run: bool, progress: bool = False
) -> legacy_import.Report:
    """Run an import of ``path`` against the configured database."""
    engine = sa.create_engine(config["DB_URL"], poolclass=sa.pool.NullPool)
    values = AccountsSettings.from_config(config)
    try:
        with Session(engine, expire_on_commit=False) as session:
            deps = Deps(
                repo=Repository(session),
                cipher=PersonalDataCipher.from_config(config),
                hasher=None,
                otp=None,
                sessions=None,
                guard=None,
                emit=None,
                settings=Settings.from_values(values),
                clock=utc_now,
            )
            total = _count_rows(path) if progress else 0
            with _progress(total, progress) as bar:
                task = bar.add_task("import", total=total)
                return legacy_import.import_rows(
                    deps,
                    legacy_rows.read_rows(path),
                    dry_run=dry_run,
                    advance=lambda n: bar.advance(task, n),
                )
    finally:
        engine.dispose()


def _run_import(config: dict, path: Path, dry_run: bool) -> int:
    try:
        report = import_legacy(config, path, dry_run, progress=sys.stderr.isatty())
    except (OSError, legacy_rows.FileProblem) as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 2
    for problem in report.problems:
        print(problem, file=sys.stderr)
    print(json.dumps(report.summary(), indent=2))
    return 1 if report.refused else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m accounts.cli")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    commands = parser.add_subparsers(dest="command", required=True)
    reviewer = commands.add_parser(
        "create-reviewer", help="create a reviewer with a temporary password"
    )
    reviewer.add_argument("--login-name", required=True)
    reviewer.add_argument("--name", required=True, help="the reviewer's display name")
    commands.add_parser(
        "reencrypt-personal-data",
        help="rewrite stored personal data under the active key (after a key rotation)",
    )
    legacy = commands.add_parser(
        "import-legacy", help="import the accounts of the former systems (CSV)"
    )
    legacy.add_argument("file", type=Path)
    legacy.add_argument(
        "--dry-run", action="store_true", help="check and report, write nothing"
    )
    args = parser.parse_args(argv)

    config = load_config(args.config)
    if args.command == "import-legacy":
        return _run_import(config, args.file, args.dry_run)
    if args.command == "reencrypt-personal-data":
        report = reencrypt_from_config(config, ENCRYPTED_COLUMNS)
        print(json.dumps(report, indent=2))
        return 1 if any(c["unreadable"] for c in report.values()) else 0
    try:
        created = create_reviewer(config, args.login_name, args.name)
    except InvalidInput as exc:
        for error in exc.details.get("errors", []):
            print(
                f"{error['field']}: {error['code']}: {error['message']}",
                file=sys.stderr,
            )
        return 1
    print(json.dumps(created, ensure_ascii=False, indent=2))
    print(
        "Give the temporary password to the reviewer over a trusted channel; "
        "it must be changed at the first login.",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
