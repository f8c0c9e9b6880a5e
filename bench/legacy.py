"""The `legacy` scenario of `make bench`: importing the former systems' users.

import       ``python -m accounts.cli import-legacy`` of a generated file
             (bench/legacy_file.py) against the stack's database: rows/s.
first login  POST /sessions of accounts never logged in since the import (the
             former hash verified with libpass, then re-hashed with argon2id and
             stored), for a strong form (bcrypt, cost 10) and a weak one (md5 hex),
             vs the plain login of the same accounts afterwards (argon2id only).
"""

from __future__ import annotations

import itertools
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench import legacy_file
from bench.harness import Measurement, measure
from tests.support import client

ACCOUNTS = Path(__file__).resolve().parents[1] / "services" / "accounts"
FIRST_LOGIN_FORMS = {"bcrypt (cost 10)": "bcrypt", "md5 hex": "hex_md5"}


def run_import(path: Path, env: dict[str, str]) -> float:
    """Seconds the CLI took to import ``path``."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "accounts.cli", "import-legacy", str(path)],
        cwd=ACCOUNTS,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def _rows_with(form: str, count: int, prefix: str) -> list[dict]:
    """``count`` person rows sharing one realistic hash of ``form``."""
    rows = list(
        legacy_file.rows(count, prefix, forms=(form,), organization_every=10**9)
    )
    text = legacy_file.legacy_hash(form, cheap=False)
    for row in rows:
        row["password_hash"] = text
    return rows


def import_rows(rows: int, env: dict[str, str], folder: Path) -> Measurement:
    path = legacy_file.write(folder / "bulk.csv", legacy_file.rows(rows))
    seconds = run_import(path, env)
    return Measurement(
        name=f"legacy import: {rows} rows (CLI)",
        concurrency=1,
        seconds=seconds,
        requests=rows,
        errors=0,
        throughput=rows / seconds,
        p50_ms=float("nan"),
        p95_ms=float("nan"),
        p99_ms=float("nan"),
        extra={"what": "rows imported per second, process start included"},
    )


class Logins:
    """A workload logging in ``names``: each once, in order (``once``; False
    when they are all used), or round and round (already upgraded ones)."""

    def __init__(self, url: str, names: list[str], concurrency: int, once: bool):
        self.url, self.names, self.once = url, names, once
        self.counter = itertools.count()
        self.lock = threading.Lock()
        self.sessions = [requests.Session() for _ in range(concurrency)]

    def used(self) -> int:
        with self.lock:
            return min(next(self.counter), len(self.names))

    def __call__(self, worker: int, iteration: int) -> bool:
        with self.lock:
            index = next(self.counter)
        if self.once and index >= len(self.names):
            return False
        name = self.names[index % len(self.names)]
        answer = client.log_in(
            self.url, name, legacy_file.PASSWORD, session=self.sessions[worker]
        )
        return answer.status_code == 201


def scenario(url: str, env: dict[str, str], args) -> list[tuple]:
    rows: list[tuple] = []
    prefix = f"bl{random.randrange(16**5):05x}"
    with tempfile.TemporaryDirectory(prefix="bench-legacy-") as folder:
        folder = Path(folder)
        rows.append((import_rows(args.legacy_rows, env, folder), None))
        per_form = args.legacy_accounts
        for n, (label, form) in enumerate(FIRST_LOGIN_FORMS.items()):
            data = _rows_with(form, per_form, f"{prefix}{n}")
            run_import(legacy_file.write(folder / f"{form}.csv", iter(data)), env)
            names = [row["login_name"] for row in data]
            logins = Logins(url, names, args.concurrency, once=True)
            first = measure(
                f"first login: {label}", logins, args.concurrency, args.seconds
            )
            upgraded = names[: logins.used()]
            plain = measure(
                "plain login (argon2id), same accounts",
                Logins(url, upgraded, args.concurrency, once=False),
                args.concurrency,
                args.seconds,
            )
            first.extra = {"accounts used / imported": f"{len(upgraded)} / {per_form}"}
            rows += [(plain, None), (first, plain)]
    return rows
