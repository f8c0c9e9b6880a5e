"""Issue 12's probe of the login-name check: 100 checks from one address.

    .venv/bin/python -m bench.probe_login_names            # a fresh isolated stack
    .venv/bin/python -m bench.probe_login_names --url http://127.0.0.1:8080/api/v1

Prints how long the 100 answers took and how many of each status came back. The
fresh stack runs with the deployment defaults of the login-name quotas (the test
stack raises them), so the figure is what a client of a real deployment sees.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests

DEPLOYMENT_DEFAULTS = {
    "LOGIN_NAME_CHECKS_PER_HOUR": "60",
    "LOGIN_NAME_CHECKS_PER_NAME_PER_HOUR": "30",
}


def probe(url: str, count: int = 100) -> dict:
    session = requests.Session()
    statuses: Counter[int] = Counter()
    started = time.perf_counter()
    for _ in range(count):
        name = f"probe_{uuid.uuid4().hex[:12]}"
        statuses[session.get(f"{url}/login-names/{name}", timeout=10).status_code] += 1
    return {"seconds": round(time.perf_counter() - started, 2), **statuses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running stack's /api/v1 URL")
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    if args.url:
        print(probe(args.url, args.count))
        return
    from tests.support.stack import isolated_stack

    with isolated_stack("probe-", **DEPLOYMENT_DEFAULTS) as stack:
        print(probe(stack.url, args.count))


if __name__ == "__main__":
    main()
