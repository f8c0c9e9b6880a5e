"""How fast verification drains a backlog of cases, with one and with two copies.

    .venv/bin/python bench/verification_drain.py --cases 300 --latency-ms 50

Starts a throwaway stack (as the tests do), every service real. For each run it
stops verification, registers ``--cases`` people over HTTP (half of them in the
authority's registry; their ``person_registered`` events wait in verification's
queue), starts the copies and times how long until every case has an outcome;
then it checks that each case was decided exactly once. Each check asks the real
accounts for the person's data (``get_verification_subject``) and the simulated
authority, which takes ``--latency-ms`` per call; each copy runs ``--concurrency``
checks at a time, so the ceiling is about copies x concurrency / latency cases per
second. The registrations themselves (argon2id hashing) are not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import sqlalchemy as sa

from tests.support import client
from tests.support.isolation import Isolation
from tests.support.stack import NAMEKO_SERVICES, Stack
from tests.support.waiting import wait_for


def register_people(url: str, n: int, registry: Path) -> list[str]:
    """Register ``n`` people over HTTP, four at a time, the even ones in the
    authority's registry; their account ids."""

    def register(i: int) -> str:
        _, answer = client.register_person(
            url, client.person_body(), registry=registry if i % 2 == 0 else None
        )
        return answer["account_id"]

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(register, range(n)))


def decided(engine, ids: list[str]) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*) FROM verification_cases"
                " WHERE account_id = ANY(:ids) AND state <> 'pending'"
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
    env = {
        "AUTHORITY_LATENCY_MS": str(args.latency_ms),
        "WORK_CONCURRENCY": str(args.concurrency),
    }
    results = []
    try:
        stack.migrate()
        for service in (*NAMEKO_SERVICES, "gateway"):
            stack.start(service, **(env if service == "verification" else {}))
        engine = sa.create_engine(isolation.db_url("verification"))
        stack.wait_ready()
        for copies in (1, 2):
            for key in [k for k in list(stack.processes) if k[0] == "verification"]:
                stack.kill(*key)
            ids = register_people(stack.url, args.cases, stack.authority_registry)
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
