"""Schemathesis against the served OpenAPI document with every check, as a newcomer
runs it (``schemathesis run <openapi.json> --checks all``), only with fewer examples
per operation so that it fits the suite.

Every phase runs (examples, coverage, fuzzing, stateful) and every check: no 5xx,
every answer as documented, schema-valid input accepted and schema-violating input
refused, 405 with ``Allow`` for undeclared methods. The only exceptions are the rules
no JSON Schema can state, each listed with its reason in ``schemathesis.toml``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "schemathesis.toml"
# Bounded for the suite; FUZZ_EXAMPLES=100 (Schemathesis' default) digs deeper, and
# FUZZ_SEED=<seed> replays a run (every run prints its seed).
EXAMPLES_PER_OPERATION = os.environ.get("FUZZ_EXAMPLES", "15")
RUN_TIMEOUT = 600


def schemathesis_command(url: str) -> list[str]:
    """The CLI of the environment running the tests, with the repository's config."""
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        EXAMPLES_PER_OPERATION,
        "--workers",
        "2",
    ]
    if os.environ.get("FUZZ_SEED"):
        command += ["--seed", os.environ["FUZZ_SEED"]]
    return command


def test_every_operation_conforms_to_the_document(live_stack, tmp_path_factory):
    # Its own working directory: the CLI keeps a cache (.schemathesis/) there.
    workdir = tmp_path_factory.mktemp("schemathesis")
    result = subprocess.run(
        schemathesis_command(live_stack.url),
        cwd=workdir,
        check=False,  # the exit code is asserted below, with the output
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    output = result.stdout + result.stderr
    assert "Operations:" in output, output[-4000:]
    assert result.returncode == 0, output[-12000:]
