"""Fault drills under a steady registration load: `make drills` (`--short` in CI).

    .venv/bin/python -m bench.drills                 # every drill
    .venv/bin/python -m bench.drills --short         # shorter phases (the CI form)
    .venv/bin/python -m bench.drills --only kill,redis

Starts its own isolated stack (own databases, vhost or broker, key prefix, port).
Drills that restart a server get a private server started here on a free port
(tests/support/servers.py), never the machine's shared ones, which other runs use:

kill:<service>  kill -9 the service (gateway: gunicorn and its workers) and start it
                again at once; for every service in turn; on the shared servers
redis           restart a private Redis (no persistence: every key is gone)
postgres        stop a private PostgreSQL for --pg-down seconds (10), start it again
rabbitmq        stop a private RabbitMQ node and start it again

For each, while --concurrency clients register people (each in the authority's
registry): requests answered with an error vs hung (no answer within
--client-timeout), the time from the fault to the first success after the last
failure, the accepted registrations (201) that never reached a verification outcome
shown by both verification and accounts (lost, goal 0), and the effects applied
twice (goal 0): an account with two verification cases, a case decided twice, two
accounts for one login name or one document. Prints one table, writes JSON to
bench/results/, exits 1 when anything was lost or applied twice.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa

from bench.harness import RESULTS, machine
from bench.load import RegistrationLoad
from tests.support.isolation import Isolation
from tests.support.servers import PrivatePostgres, PrivateRabbit, PrivateRedis
from tests.support.stack import NAMEKO_SERVICES, Stack, isolated_stack

SERVICES = (*NAMEKO_SERVICES, "gateway")
DRILLS = ("kill", "redis", "postgres", "rabbitmq")

DOUBLES = {
    "verification": {
        "account with two cases": "SELECT count(*) FROM (SELECT account_id FROM"
        " verification_cases GROUP BY account_id HAVING count(*) > 1) d",
        "case decided twice": "SELECT count(*) FROM (SELECT case_id FROM"
        " verification_case_transitions WHERE to_state IN ('passed', 'failed')"
        " GROUP BY case_id HAVING count(*) > 1) d",
    },
    "accounts": {
        "two accounts, one login name": "SELECT count(*) FROM (SELECT lower(login_name)"
        " FROM accounts GROUP BY lower(login_name) HAVING count(*) > 1) d",
        "two persons, one document": "SELECT count(*) FROM (SELECT doc_number_index"
        " FROM persons GROUP BY doc_number_index HAVING count(*) > 1) d",
    },
}


@dataclass
class Row:
    drill: str
    fault_seconds: float
    answered_ok: int
    answered_error: int
    hung: int
    recovery_seconds: float | None
    accepted: int
    lost: int
    applied_twice: int
    note: str = ""


def doubles(isolation: Isolation) -> dict[str, int]:
    """Effects applied twice, counted in the stores (the whole run so far)."""
    found = {}
    for service, queries in DOUBLES.items():
        engine = sa.create_engine(isolation.db_url(service), pool_pre_ping=True)
        try:
            with engine.connect() as conn:
                for what, query in queries.items():
                    found[what] = conn.execute(sa.text(query)).scalar_one()
        finally:
            engine.dispose()
    return found


def drill(
    stack: Stack,
    name: str,
    fault: Callable[[], None],
    args: argparse.Namespace,
) -> Row:
    before = doubles(stack.isolation)
    load = RegistrationLoad(
        stack.url,
        stack.authority_registry,
        args.concurrency,
        timeout=args.client_timeout,
    ).start()
    time.sleep(args.before)
    fault_at = time.monotonic()
    fault()
    fault_seconds = time.monotonic() - fault_at
    # keep the load on until the platform is ready again and a registration has
    # succeeded since (or --recover-within has passed), then a while longer
    deadline = time.monotonic() + args.recover_within
    restarted = supervise_until_ready(stack, deadline)
    ready_at = time.monotonic()
    while time.monotonic() < deadline and not load.succeeded_since(ready_at):
        time.sleep(0.2)
    time.sleep(args.after)
    load.stop()
    figures = load.settle(timeout=args.settle)
    after = doubles(stack.isolation)
    twice_in_stores = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    notes = []
    if figures["error_kinds"]:
        notes.append(", ".join(f"{k}: {v}" for k, v in figures["error_kinds"].items()))
    if twice_in_stores:
        notes.append(f"twice: {twice_in_stores}")
    if restarted:
        notes.append(f"exited, restarted as a supervisor would: {', '.join(restarted)}")
    row = Row(
        drill=name,
        fault_seconds=round(fault_seconds, 1),
        answered_ok=figures["answered_ok"],
        answered_error=figures["answered_error"],
        hung=figures["hung"],
        recovery_seconds=(
            None if (r := load.recovery_seconds(fault_at)) is None else round(r, 1)
        ),
        accepted=figures["accepted"],
        lost=figures["lost"],
        applied_twice=figures["applied_twice"] + sum(twice_in_stores.values()),
        note="; ".join(notes),
    )
    print(
        f"[drills] {json.dumps(asdict(row), ensure_ascii=False)}",
        file=sys.stderr,
        flush=True,
    )
    # the next drill starts from a whole platform
    for service in SERVICES:
        if not stack.is_running(service):
            stack.start(service)
    stack.wait_ready(timeout=90)
    return row


def supervise_until_ready(stack: Stack, deadline: float) -> list[str]:
    """Wait for /ready, starting again any process that exited meanwhile (what
    supervisord does under `make up`); the services that had to be restarted."""
    restarted = []
    while time.monotonic() < deadline:
        for service in SERVICES:
            if not stack.is_running(service):
                restarted.append(service)
                stack.start(service)
        try:
            if stack.ready():
                break
        except Exception:  # noqa: BLE001, S110 - not answering yet
            pass
        time.sleep(0.5)
    return restarted


def kill_and_restart(stack: Stack, service: str) -> Callable[[], None]:
    def fault() -> None:
        stack.kill(service, sig=9)
        stack.start(service)

    return fault


def down_for(server, seconds: float) -> Callable[[], None]:
    def fault() -> None:
        server.stop()
        time.sleep(seconds)
        server.start()

    return fault


def table(rows: list[Row]) -> str:
    header = (
        f"{'drill':<22} {'fault s':>7} {'ok':>5} {'errors':>6} {'hung':>5} "
        f"{'recover s':>9} {'accepted':>8} {'lost':>5} {'twice':>5}  note"
    )
    lines = [header, "-" * (len(header) + 20)]
    for r in rows:
        recovery = (
            "never" if r.recovery_seconds is None else f"{r.recovery_seconds:.1f}"
        )
        lines.append(
            f"{r.drill:<22} {r.fault_seconds:>7.1f} {r.answered_ok:>5} {r.answered_error:>6} "
            f"{r.hung:>5} {recovery:>9} {r.accepted:>8} {r.lost:>5} {r.applied_twice:>5}  {r.note}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    skipped: list[str] = []
    with ExitStack() as cleanup:
        servers = {}
        for kind, make in (
            ("redis", PrivateRedis),
            ("postgres", PrivatePostgres),
            ("rabbitmq", PrivateRabbit),
        ):
            if kind not in args.only:
                continue
            try:
                server = make()
                cleanup.callback(server.remove)
                server.start()
                servers[kind] = server
            except Exception as exc:  # noqa: BLE001 - reported, the drill left out
                skipped.append(f"{kind}: the private server did not start ({exc})")
        isolation = Isolation(
            pg_server=servers["postgres"].url
            if "postgres" in servers
            else Isolation.pg_server,
            amqp_server=(
                servers["rabbitmq"].url
                if "rabbitmq" in servers
                else Isolation.amqp_server
            ),
            rabbit_api=None if "rabbitmq" in servers else Isolation.rabbit_api,
            redis_server=servers["redis"].url
            if "redis" in servers
            else Isolation.redis_server,
        )
        stack = cleanup.enter_context(isolated_stack("drills-", isolation))
        print(
            f"[drills] stack at {stack.url}, logs in {stack.log_dir}", file=sys.stderr
        )
        if "kill" in args.only:
            for service in SERVICES:
                rows.append(
                    drill(
                        stack,
                        f"kill -9 {service}",
                        kill_and_restart(stack, service),
                        args,
                    )
                )
        if "redis" in servers:
            rows.append(
                drill(stack, "restart Redis", down_for(servers["redis"], 0), args)
            )
        if "postgres" in servers:
            rows.append(
                drill(
                    stack,
                    f"stop PostgreSQL {args.pg_down:g} s",
                    down_for(servers["postgres"], args.pg_down),
                    args,
                )
            )
        if "rabbitmq" in servers:
            rows.append(
                drill(stack, "restart RabbitMQ", down_for(servers["rabbitmq"], 0), args)
            )
    return rows, skipped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="shorter phases (CI)")
    parser.add_argument(
        "--only", default=",".join(DRILLS), help=f"of {','.join(DRILLS)}"
    )
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--client-timeout", type=float, default=5.0)
    parser.add_argument("--pg-down", type=float, default=10.0)
    parser.add_argument(
        "--recover-within",
        type=float,
        default=60.0,
        help="keep the load on this long at most for it to succeed again",
    )
    args = parser.parse_args()
    args.only = [d for d in args.only.split(",") if d]
    if set(args.only) - set(DRILLS):
        parser.error(f"unknown drills; known: {DRILLS}")
    args.before, args.after, args.settle = (
        (1.0, 3.0, 45.0) if args.short else (3.0, 10.0, 90.0)
    )

    started = datetime.now(UTC)
    rows, skipped = run(args)
    print(
        f"\ndrills {started:%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs; "
        f"{args.concurrency} registering clients; client timeout {args.client_timeout:g} s"
    )
    print(table(rows))
    for line in skipped:
        print(f"left out: {line}")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"drills-{started:%Y%m%dT%H%M%SZ}.json"
    path.write_text(
        json.dumps(
            {
                "at": started.isoformat(),
                "machine": machine(),
                "args": {k: v for k, v in vars(args).items()},
                "rows": [asdict(r) for r in rows],
                "left_out": skipped,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    print(f"results: {path}")
    bad = any(r.lost or r.applied_twice for r in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
