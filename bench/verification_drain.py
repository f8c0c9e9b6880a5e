"""How fast verification drains a backlog of cases, with one and with two copies.

    .venv/bin/python bench/verification_drain.py --cases 300 --latency-ms 50

Starts a throwaway stack (as the tests do), with accounts played by the test
stand-in (tests/support/accounts_stub.py) so that only verification is measured.
For each run it stops verification, publishes ``--cases`` ``person_registered``
events (half of the people in the authority's registry), starts the copies and
times how long until every case has an outcome; then it checks that each case was
decided exactly once. The simulated authority takes ``--latency-ms`` per call; each
copy runs ``--concurrency`` checks at a time, so the ceiling is about
copies x concurrency / latency cases per second.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import sqlalchemy as sa

from tests.support import events
from tests.support.isolation import Isolation
from tests.support.stack import Stack
from tests.support.waiting import wait_for


def start_stub(stack: Stack, path: Path) -> None:
    stack.start_command(
        "accounts",
        0,
        [
            sys.executable,
            "-m",
            "nameko",
            "run",
            "--config",
            str(ROOT / "services/accounts/config.yml"),
            "tests.support.accounts_stub",
        ],
        ROOT,
        ACCOUNTS_STUB_PATH=str(path),
    )


def make_people(n: int, stub: dict, registry: Path) -> list[str]:
    ids = []
    with registry.open("a", encoding="utf-8") as handle:
        for i in range(n):
            account_id = "acc_" + secrets.token_hex(8)
            number = "E" + str(secrets.randbelow(10**8)).zfill(8)
            stub["subjects"][account_id] = {
                "account_id": account_id,
                "account_kind": "person",
                "name": "压测" + str(i),
                "doc_type": "passport",
                "doc_number": number,
            }
            if i % 2 == 0:
                handle.write(f"person,压测{i},passport,{number},,\n")
            ids.append(account_id)
    return ids


def decided(engine, ids: list[str]) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*) FROM verification_cases"
                " WHERE account_id = ANY(:ids) AND status <> 'pending'"
            ),
            {"ids": ids},
        ).scalar_one()


def once_each(engine, ids: list[str]) -> bool:
    with engine.connect() as conn:
        counts = conn.execute(
            sa.text(
                "SELECT count(*) FROM outbox WHERE event_type IN"
                " ('verification_passed', 'verification_failed')"
                " AND envelope->'data'->>'account_id' = ANY(:ids)"
                " GROUP BY envelope->'data'->>'account_id'"
            ),
            {"ids": ids},
        ).scalars()
        return sorted(set(counts)) == [1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    isolation = Isolation()
    isolation.create()
    stack = Stack(isolation, Path(tempfile.mkdtemp(prefix="verification-drain-")))
    stub_path = stack.log_dir / "accounts.json"
    stub = {"subjects": {}, "sessions": {}}
    stub_path.write_text(json.dumps(stub))
    env = {
        "AUTHORITY_LATENCY_MS": str(args.latency_ms),
        "WORK_CONCURRENCY": str(args.concurrency),
    }
    results = []
    try:
        stack.migrate()
        for service in ("otp", "recovery", "gateway"):
            stack.start(service)
        start_stub(stack, stub_path)
        engine = sa.create_engine(isolation.db_url("verification"))
        stack.start("verification", **env)
        stack.wait_ready()
        for copies in (1, 2):
            for key in [k for k in list(stack.processes) if k[0] == "verification"]:
                stack.kill(*key)
            ids = make_people(args.cases, stub, stack.authority_registry)
            stub_path.write_text(json.dumps(stub, ensure_ascii=False))
            events.publish(
                isolation.amqp_uri,
                *(
                    events.envelope(
                        "accounts",
                        "person_registered",
                        {"account_id": a, "account_kind": "person"},
                    )
                    for a in ids
                ),
            )
            for copy in range(copies):
                stack.start("verification", copy, **env)
            stack.wait_ready()
            # time from the first decision (the copies are up) to the last
            wait_for(
                lambda ids=ids: decided(engine, ids) > 0, timeout=120, interval=0.02
            )
            started = time.monotonic()
            wait_for(
                lambda ids=ids: decided(engine, ids) == len(ids),
                timeout=600,
                interval=0.05,
            )
            seconds = time.monotonic() - started
            ceiling = copies * args.concurrency / (args.latency_ms / 1000)
            results.append(
                {
                    "copies": copies,
                    "cases": len(ids),
                    "seconds": round(seconds, 2),
                    "cases_per_second": round(len(ids) / seconds, 1),
                    "ceiling_per_second": round(ceiling, 1),
                    "decided_once_each": once_each(engine, ids),
                }
            )
            print(json.dumps(results[-1]), flush=True)
        engine.dispose()
    finally:
        stack.stop_all()
        isolation.destroy()
    return 0 if all(r["decided_once_each"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
