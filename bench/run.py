"""Every benchmark scenario, one table: `make bench`.

    .venv/bin/python -m bench.run                      # against `make up` (http://127.0.0.1:8080)
    .venv/bin/python -m bench.run --fresh              # start an isolated stack, measure, remove it
    .venv/bin/python -m bench.run --only login,names --seconds 6

Scenarios (each against a baseline measured in the same run, with the same client
parallelism; the machine is shared, so the ratio is the figure to quote):

login         POST /sessions (HTTP, gateway, accounts, argon2id, a session in Redis)
              vs argon2id verification in this process with the service's parameters
              (goal >= 0.75). Rounds alternate so a busy minute hits both sides.
names         GET /login-names/{name} (HTTP, one RPC, an indexed query) vs
              GET /dev/echo (HTTP and one echo RPC, nothing else) (goal >= 0.8).
registration  registrations sustained for --registration-seconds (default 60), each
              person in the simulated authority's registry; latency from the request
              to the verification outcome, and the registrations lost (goal 0).
sms           POST /sms-codes with a solved captcha, for one phone and for a new
              phone each time, vs GET /health; SMS accepted and delivered.
legacy        the former systems' users (bench/legacy.py): import-legacy rows/s
              (--legacy-rows), and the first login of an imported account (its
              former hash verified, then re-hashed with argon2id) vs a plain
              login. Runs accounts' CLI against the stack's database: the
              environment's ACCOUNTS_DB_URL (or --fresh).
sso           a full entry into a business system (authorize with a live portal
              session, PKCE S256 -> token with client_secret_basic -> userinfo) vs
              three GET /dev/echo in a row (goal >= 0.6). Uses the development
              client torch-statistics (services/sso/clients.dev.yml).

Needs a dev or test stack (the dev endpoints give captcha answers and SMS codes).
On a `make up` stack the per-address quotas (OTP_CLIENT_PER_HOUR=30,
CAPTCHAS_PER_MINUTE=30, REGISTRATIONS_PER_HOUR=30, LOGIN_NAME_CHECKS_PER_HOUR=60 and
LOGIN_NAME_CHECKS_PER_NAME_PER_HOUR=30) stop the registration, SMS and names
scenarios after a few requests: use --fresh (the test stack's raised quotas), or
start the stack with those quotas raised. The
registration scenario adds people to the registry file the verification service
reads (--registry; --fresh uses the stack's own copy).
Results: one JSON file in bench/results/; compare two with bench/compare.py.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests

from bench.harness import (
    Measurement,
    chosen,
    combined,
    measure,
    stack_command,
    table,
    write_results,
)
from bench.load import RegistrationLoad
from tests import identity_data as gen
from tests.support import client

SCENARIOS = ("login", "names", "registration", "sms", "legacy", "sso")
Row = tuple[Measurement, Measurement | None]
Workload = tuple[str, callable]


def alternate(
    subject: Workload,
    baseline: Workload,
    concurrency,
    seconds,
    rounds,
) -> list[Row]:
    """Measure subject and baseline in turns; each in total ``seconds``."""
    subjects, baselines = [], []
    for _ in range(rounds):
        baselines.append(
            measure(baseline[0], baseline[1], concurrency, seconds / rounds)
        )
        subjects.append(measure(subject[0], subject[1], concurrency, seconds / rounds))
    base = combined(baseline[0], baselines)
    return [(base, None), (combined(subject[0], subjects), base)]


def accounts(url: str, count: int) -> list[str]:
    """``count`` fresh person accounts (password gen.PASSWORD); their login names."""
    session = requests.Session()
    return [
        client.register_person(url, session=session)[0]["login_name"]
        for _ in range(count)
    ]


def login(url: str, concurrency: int) -> tuple[Workload, Workload]:
    """Log-in against its baseline, argon2id verification in this process."""
    import argon2

    names = accounts(url, concurrency)
    hasher = argon2.PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
    encoded = hasher.hash(gen.PASSWORD)
    sessions = [requests.Session() for _ in range(concurrency)]

    def verify(worker: int, iteration: int) -> bool:
        return hasher.verify(encoded, gen.PASSWORD)

    def log_in(worker: int, iteration: int) -> bool:
        answer = client.log_in(url, names[worker], session=sessions[worker])
        return answer.status_code == 201

    return ("login: POST /sessions", log_in), ("argon2id verify, in process", verify)


def names(url: str, concurrency: int) -> tuple[Workload, Workload]:
    """The login-name check against its baseline, one echo RPC through the gateway."""
    taken = accounts(url, 2)
    sessions = [requests.Session() for _ in range(concurrency)]

    def check(worker: int, iteration: int) -> bool:
        name = taken[iteration % len(taken)]
        answer = sessions[worker].get(f"{url}/login-names/{name}", timeout=10)
        return answer.status_code == 200 and answer.json()["available"] is False

    def echo(worker: int, iteration: int) -> bool:
        answer = sessions[worker].get(
            f"{url}/dev/echo", params={"value": "x"}, timeout=10
        )
        return answer.status_code == 200

    return (
        ("names: GET /login-names/{name}", check),
        ("GET /dev/echo (one echo RPC)", echo),
    )


SSO_CLIENT = ("torch-statistics", "torch-statistics-dev-secret-not-for-production")
SSO_REDIRECT = "http://127.0.0.1:8090/callback"


def sso(url: str, concurrency: int) -> tuple[Workload, Workload]:
    """One entry into a business system against three echo requests."""
    import base64
    import hashlib
    import secrets
    from urllib.parse import parse_qs, urlsplit

    origin = url.rsplit("/api/v1", 1)[0]
    tokens = [
        client.log_in(url, name).json()["token"] for name in accounts(url, concurrency)
    ]
    sessions = [requests.Session() for _ in range(concurrency)]

    def enter(worker: int, iteration: int) -> bool:
        http = sessions[worker]
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()
        ).rstrip(b"=")
        answer = http.get(
            f"{origin}/oidc/authorize",
            params={
                "response_type": "code",
                "client_id": SSO_CLIENT[0],
                "redirect_uri": SSO_REDIRECT,
                "scope": "openid profile",
                "state": str(iteration),
                "nonce": str(iteration),
                "code_challenge": challenge.decode(),
                "code_challenge_method": "S256",
            },
            headers={"Cookie": f"__Host-session={tokens[worker]}"},
            allow_redirects=False,
            timeout=10,
        )
        query = parse_qs(urlsplit(answer.headers.get("Location", "")).query)
        if "code" not in query:
            return False
        issued = http.post(
            f"{origin}/oidc/token",
            data={
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": SSO_REDIRECT,
                "code_verifier": verifier,
            },
            auth=SSO_CLIENT,
            timeout=10,
        )
        if issued.status_code != 200:
            return False
        info = http.get(
            f"{origin}/oidc/userinfo",
            headers=client.bearer(issued.json()["access_token"]),
            timeout=10,
        )
        return info.status_code == 200

    def echo3(worker: int, iteration: int) -> bool:
        return all(
            sessions[worker]
            .get(f"{url}/dev/echo", params={"value": "x"}, timeout=10)
            .status_code
            == 200
            for _ in range(3)
        )

    return (
        ("sso: authorize -> token -> userinfo", enter),
        ("3 x GET /dev/echo", echo3),
    )


def registration(
    url: str, registry: Path | None, concurrency: int, seconds: float
) -> list[Row]:
    load = RegistrationLoad(url, registry, concurrency, timeout=10).start()
    time.sleep(seconds)
    load.stop()
    figures = load.settle(timeout=60)
    row = Measurement(
        name="registration -> outcome",
        concurrency=concurrency,
        seconds=seconds,
        requests=figures["accepted"],
        errors=figures["answered_error"] + figures["hung"],
        throughput=figures["accepted"] / seconds,
        p50_ms=figures["to_outcome_p50_ms"],
        p95_ms=figures["to_outcome_p95_ms"],
        p99_ms=figures["to_outcome_p99_ms"],
        extra={
            "latency columns": "request sent -> verification outcome decided",
            "accepted / lost / applied twice": (
                f"{figures['accepted']} / {figures['lost']} (goal 0) / "
                f"{figures['applied_twice']}"
            ),
            "outcomes": figures["outcomes"],
            "errors by kind": figures["error_kinds"] or "none",
            "in the authority's registry": registry is not None,
        },
    )
    return [(row, None)]


def sms(url: str, concurrency: int, seconds: float) -> list[Row]:
    sessions = [requests.Session() for _ in range(concurrency)]
    rng = random.Random()
    one_phone = f"1390{rng.randrange(10**7):07d}"
    purposes = ("register_person", "register_organization", "password_reset", "appeal")

    def flood(statuses: Counter, accepted: Counter, phone_for):
        def call(worker: int, iteration: int) -> bool:
            phone = phone_for()
            session = sessions[worker]
            body = {
                "phone": phone,
                "purpose": purposes[(worker + iteration) % len(purposes)],
                **client.captcha(url, session),
            }
            status = session.post(f"{url}/sms-codes", json=body, timeout=10).status_code
            statuses[status] += 1
            if status == 202:
                accepted[phone] += 1
            return status in (202, 429)  # a refusal by quota is the platform working

        return call

    def health(worker: int, iteration: int) -> bool:
        return sessions[worker].get(f"{url}/health", timeout=10).status_code == 200

    base = measure("GET /health", health, concurrency, seconds)
    rows: list[Row] = [(base, None)]
    for name, phone_for in (
        ("sms: one phone", lambda: one_phone),
        ("sms: a new phone each time", lambda: f"1390{rng.randrange(10**7):07d}"),
    ):
        statuses, accepted = Counter(), Counter()
        row = measure(name, flood(statuses, accepted, phone_for), concurrency, seconds)
        sent = delivered(url, accepted)
        row.extra = {
            "answers by status": dict(sorted(statuses.items())),
            "SMS accepted / delivered": f"{sum(accepted.values())} / {sent}",
            "phones": len(accepted),
        }
        rows.append((row, base))
    return rows


def delivered(url: str, phones: Counter, timeout: float = 30.0) -> int:
    """SMS in the dev outbox for ``phones``, once delivery has caught up."""
    expected = sum(phones.values())
    deadline = time.monotonic() + timeout
    while True:
        found = sum(
            len(
                requests.get(
                    f"{url}/dev/sms-outbox", params={"phone": p}, timeout=10
                ).json()["messages"]
            )
            for p in phones
        )
        if found >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


# scenarios measured in turns with a baseline: each gives (subject, baseline)
ALTERNATING = {"login": login, "names": names, "sso": sso}


def run(
    url: str, args, registry: Path | None, env: dict[str, str] | None = None
) -> list[Row]:
    url = url.rstrip("/")
    requests.get(f"{url}/health", timeout=5).raise_for_status()
    rows: list[Row] = []
    for scenario in args.only:
        print(f"[bench] {scenario} ...", file=sys.stderr, flush=True)
        if scenario in ALTERNATING:
            workloads = ALTERNATING[scenario](url, args.concurrency)
            rows += alternate(*workloads, args.concurrency, args.seconds, args.rounds)
        elif scenario == "registration":
            rows += registration(
                url, registry, args.concurrency, args.registration_seconds
            )
        elif scenario == "sms":
            rows += sms(url, args.concurrency, args.seconds)
        elif scenario == "legacy":
            from bench import legacy

            rows += legacy.scenario(url, env or dict(os.environ), args)
    return rows


# the line of a scenario's ratio to its baseline, by the scenario's name prefix
GOALS = {
    "login": "login / argon2id = {ratio:.2f} (goal >= 0.75)",
    "first login": "{name} / plain login = {ratio:.2f}",
    "sso": "sso entry / 3 echoes = {ratio:.2f} (goal >= 0.6)",
    "names": "login-name check / echo = {ratio:.2f} (goal >= 0.8)",
}


def goals(rows: list[Row]) -> list[str]:
    from bench.harness import ratio

    return [
        line.format(name=subject.name, ratio=ratio(subject, baseline))
        for subject, baseline in rows
        if baseline
        for prefix, line in GOALS.items()
        if subject.name.startswith(prefix)
    ]


def main() -> int:
    parser = stack_command(__doc__, SCENARIOS, "scenarios")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--seconds", type=float, default=12.0, help="per measured scenario"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternations with the baseline"
    )
    parser.add_argument("--registration-seconds", type=float, default=60.0)
    parser.add_argument(
        "--legacy-rows", type=int, default=20_000, help="rows of the import measured"
    )
    parser.add_argument(
        "--legacy-accounts",
        type=int,
        default=1500,
        help="imported accounts per hash form for the first-login measure",
    )
    parser.add_argument(
        "--registry",
        type=Path,
        help="the authority registry CSV the running stack reads",
    )
    args = parser.parse_args()
    args.only = chosen(parser, args.only, SCENARIOS, "scenarios")

    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    if args.fresh:
        from tests.support.stack import isolated_stack

        with isolated_stack("bench-") as stack:
            print(f"[bench] fresh stack at {stack.url}", file=sys.stderr, flush=True)
            rows = run(stack.url, args, stack.authority_registry, stack.env())
    else:
        rows = run(args.url, args, args.registry)
    print(
        f"\nbench {started}; {os.cpu_count()} CPUs; client concurrency {args.concurrency}"
    )
    print(table(rows))
    for line in goals(rows):
        print(line)
    print(f"results: {write_results('bench', rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
