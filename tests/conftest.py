"""Fixtures shared by every tier.

unit and contract tests need nothing running. integration and e2e tests get one
`stack` per run: every service and the gateway as real processes against the real
RabbitMQ, PostgreSQL and Redis, isolated in the run's own databases, vhost, key
prefix and port (see tests/support/isolation.py).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import pytest

from tests.support.isolation import Isolation
from tests.support.stack import Stack


@pytest.fixture(scope="session")
def isolation():
    isolation = Isolation()
    isolation.create()
    yield isolation
    isolation.destroy()


@pytest.fixture(scope="session")
def stack(isolation):
    # Not pytest's tmp_path: it prunes the temp folders of other runs, and runs on
    # one machine may overlap. The logs stay after the run, for a post-mortem.
    log_dir = Path(tempfile.mkdtemp(prefix=f"stack-logs-{isolation.run_id}-"))
    print(f"stack logs: {log_dir}")
    stack = Stack(isolation, log_dir)
    stack.migrate()
    stack.start_all()
    try:
        stack.wait_ready()
        yield stack
    finally:
        stack.stop_all()


@pytest.fixture
def live_stack(stack):
    """The stack, with every process a previous test stopped started again."""
    from tests.support.stack import NAMEKO_SERVICES

    for service in (*NAMEKO_SERVICES, "gateway"):
        if not stack.is_running(service):
            stack.start(service)
    for key in [k for k in stack.processes if k[1] > 0]:
        stack.kill(*key, sig=15)
    stack.wait_ready()
    return stack
