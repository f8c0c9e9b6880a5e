"""Start a throwaway stack (as the tests do), run sms_flood.py against it, stop it.

    .venv/bin/python bench/on_fresh_stack.py --seconds 10 --concurrency 8

Every argument goes to sms_flood.py. The stack gets its own vhost, databases,
Redis key prefix and port, all removed afterwards, so each run starts with
unspent quotas. Needs the machine's RabbitMQ, PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

from tests.support.isolation import Isolation
from tests.support.stack import Stack


def main() -> int:
    isolation = Isolation()
    isolation.create()
    stack = Stack(isolation, Path(tempfile.mkdtemp(prefix="sms-flood-logs-")))
    try:
        stack.migrate()
        stack.start_all()
        stack.wait_ready()
        print(f"stack at {stack.url} (logs in {stack.log_dir})", flush=True)
        flood = [
            sys.executable,
            str(ROOT / "bench" / "sms_flood.py"),
            "--url",
            stack.url,
        ]
        return subprocess.call(flood + sys.argv[1:])
    finally:
        stack.stop_all()
        isolation.destroy()


if __name__ == "__main__":
    raise SystemExit(main())
