"""Login throughput over HTTP against bare argon2id, and the login-name check latency.

    python bench/login.py --start-stack                 # start an isolated stack, then measure
    python bench/login.py --url http://127.0.0.1:8080/api/v1

Needs a stack in dev or test (accounts are registered with SMS codes read from the
dev outbox). Phases, each ``--seconds`` long with ``--concurrency`` client threads:

1. argon2id: this process verifies a password against a hash made with the
   service's parameters (t=2, 19 MiB, p=1), in ``--concurrency`` threads: the
   ceiling no login can beat on this machine;
2. log in: ``POST /sessions`` with the right password, one account per thread (a
   real login: throttle counters, the account look-up, the hash check in the
   service's thread pool, a new session in Redis, the RPC and HTTP hops);
3. login-name check: ``GET /login-names/{name}`` (one indexed query behind one RPC).

The machine is shared by the client, the gateway, the services and the servers, so
the figure to quote is the ratio of (2) to (1) measured in the same run (goal: at
least 0.75), and the latency percentiles of (3).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import Measurement, measure, table, write_results

PASSWORD = "Bench-Login-2026!"
CODE = re.compile(r"验证码为(\d{6})")


def solved_captcha(url: str, session: requests.Session) -> dict:
    captcha_id = session.post(f"{url}/captchas", timeout=10).json()["captcha_id"]
    answer = session.get(f"{url}/dev/captchas/{captcha_id}", timeout=10).json()[
        "answer"
    ]
    return {"captcha_id": captcha_id, "captcha_answer": answer}


def sms_code(url: str, session: requests.Session, phone: str) -> str:
    sent = session.post(
        f"{url}/sms-codes",
        json={
            "phone": phone,
            "purpose": "register_person",
            **solved_captcha(url, session),
        },
        timeout=10,
    )
    sent.raise_for_status()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        outbox = session.get(
            f"{url}/dev/sms-outbox", params={"phone": phone}, timeout=10
        )
        for message in outbox.json().get("messages", []):
            found = CODE.search(message["text"])
            if found:
                return found.group(1)
        time.sleep(0.1)
    raise RuntimeError(f"no SMS code arrived for {phone}")


def register_accounts(url: str, count: int, rng: random.Random) -> list[str]:
    """``count`` person accounts with generated identities; their login names."""
    sys.path.insert(0, str(ROOT))
    from tests import identity_data as gen

    session = requests.Session()
    names = []
    for _ in range(count):
        body = gen.person_registration(
            rng, password=PASSWORD, password_confirmation=PASSWORD
        )
        body["sms_code"] = sms_code(url, session, body["phone"])
        answer = session.post(f"{url}/registrations/person", json=body, timeout=10)
        answer.raise_for_status()
        names.append(body["login_name"])
    return names


def process_cpu(match) -> float:
    """CPU seconds (user + system) of every process ``match(pgid, comm)`` accepts."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                comm, _, rest = stat.read().rpartition(")")
            fields = rest.split()
            if match(int(fields[2]), comm.partition("(")[2]):
                total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            continue  # the process ended meanwhile
    return total / tick


def cpu_per_call(call, concurrency: int, count: int, pgids: set[int]) -> dict:
    """Run ``count`` calls in ``concurrency`` threads; CPU milliseconds per call of
    this process, of the stack's process groups and of the shared servers."""
    servers = ("beam.smp", "postgres", "redis-server")

    def snapshot():
        return (
            time.process_time(),
            process_cpu(lambda pgid, comm: pgid in pgids),
            process_cpu(lambda pgid, comm: comm in servers),
        )

    def worker(index: int) -> None:
        for iteration in range(count // concurrency):
            call(index, iteration)

    before = snapshot()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = snapshot()
    done = (count // concurrency) * concurrency
    client, stack, shared = ((b - a) * 1000 / done for a, b in zip(before, after))
    return {"client": client, "stack": stack, "servers": shared}


def run(
    url: str,
    concurrency: int,
    seconds: float,
    rounds: int = 3,
    pgids: set[int] | None = None,
) -> None:
    import argon2

    rng = random.Random()
    names = register_accounts(url, concurrency, rng)

    hasher = argon2.PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
    encoded = hasher.hash(PASSWORD)

    def verify(worker: int, iteration: int) -> bool:
        return hasher.verify(encoded, PASSWORD)

    sessions = [requests.Session() for _ in range(concurrency)]

    def log_in(worker: int, iteration: int) -> bool:
        answer = sessions[worker].post(
            f"{url}/sessions",
            json={"login_name": names[worker], "password": PASSWORD},
            timeout=10,
        )
        return answer.status_code == 201

    def check_name(worker: int, iteration: int) -> bool:
        name = names[(worker + iteration) % len(names)]
        answer = sessions[worker].get(f"{url}/login-names/{name}", timeout=10)
        return answer.status_code == 200 and answer.json()["available"] is False

    def health(worker: int, iteration: int) -> bool:
        return sessions[worker].get(f"{url}/health", timeout=10).status_code == 200

    # The machine is shared and its load drifts: alternate the two phases and
    # compare the totals, so a busy minute does not land on one side only.
    bare_rounds, login_rounds = [], []
    for _ in range(rounds):
        bare_rounds.append(measure("argon2id", verify, concurrency, seconds / rounds))
        login_rounds.append(measure("login", log_in, concurrency, seconds / rounds))
    bare = combined("argon2id verify (in process)", bare_rounds)
    logins = combined("POST /sessions (login over HTTP)", login_rounds)
    ping = measure("GET /health", health, concurrency, seconds)
    names_check = measure("GET /login-names/{name}", check_name, concurrency, seconds)
    single = measure("GET /login-names/{name}, 1 client", check_name, 1, seconds)
    rows = [
        (bare, None),
        (logins, bare),
        (ping, None),
        (names_check, ping),
        (single, None),
    ]
    print(table(rows))
    print(
        f"\nlogin throughput / bare argon2id at concurrency {concurrency}: "
        f"{logins.throughput / bare.throughput:.2f} (goal >= 0.75)"
    )
    if pgids:
        # Wall-clock throughput on a box other jobs load swings with their load;
        # CPU time per call does not. When the box is CPU-bound, throughput is the
        # inverse of the CPU a call costs, so this ratio predicts the one above.
        count = 40 * concurrency
        hash_cpu = cpu_per_call(verify, concurrency, count, set())["client"]
        login_cpu = cpu_per_call(log_in, concurrency, count, pgids)
        own = login_cpu["stack"] + login_cpu["client"]
        print(
            f"CPU per call: argon2id {hash_cpu:.1f} ms; login: stack processes "
            f"{login_cpu['stack']:.1f} ms, this client {login_cpu['client']:.1f} ms, "
            f"RabbitMQ/PostgreSQL/Redis {login_cpu['servers']:.1f} ms (shared with "
            f"other users of the servers: an upper bound)"
        )
        print(
            f"CPU-based ratio: {hash_cpu / (own + login_cpu['servers']):.2f} with the "
            f"servers, {hash_cpu / login_cpu['stack']:.2f} for the stack's own processes"
        )
    print(f"results: {write_results('login', rows)}")


def combined(name: str, parts: list[Measurement]) -> Measurement:
    """Rounds of one scenario as one: total requests over total time; the
    percentiles are the worst round's (the raw latencies are not kept)."""
    seconds = sum(p.seconds for p in parts)
    requests_ = sum(p.requests for p in parts)
    return Measurement(
        name=name,
        concurrency=parts[0].concurrency,
        seconds=seconds,
        requests=requests_,
        errors=sum(p.errors for p in parts),
        throughput=requests_ / seconds,
        p50_ms=max(p.p50_ms for p in parts),
        p95_ms=max(p.p95_ms for p in parts),
        p99_ms=max(p.p99_ms for p in parts),
        extra={"rounds (req/s)": ", ".join(f"{p.throughput:.1f}" for p in parts)},
    )


def start_stack():
    """An isolated stack as the tests start it (own databases, vhost, key prefix)."""
    import tempfile

    from tests.support.isolation import Isolation
    from tests.support.stack import Stack

    isolation = Isolation()
    isolation.create()
    stack = Stack(isolation, Path(tempfile.mkdtemp(prefix="bench-login-")))
    stack.migrate()
    stack.start_all()
    stack.wait_ready()
    return isolation, stack


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="the gateway's /api/v1 URL of a dev/test stack")
    target.add_argument(
        "--start-stack", action="store_true", help="start an isolated stack"
    )
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=12.0, help="per scenario")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternations of (1) and (2)"
    )
    args = parser.parse_args()
    if args.url:
        run(args.url.rstrip("/"), args.concurrency, args.seconds, args.rounds)
        return 0
    isolation, stack = start_stack()
    try:
        print(f"stack at {stack.url} (logs in {stack.log_dir})")
        pgids = {process.pid for process in stack.processes.values()}
        run(stack.url, args.concurrency, args.seconds, args.rounds, pgids)
    finally:
        stack.stop_all()
        isolation.destroy()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
