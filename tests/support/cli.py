"""A service's operator CLI (``python -m <service>.cli ...``) run as an operator
runs it, against a test stack's databases, answering JSON."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.stack import ROOT


def service_cli(stack, service: str, *args: str, timeout: float = 120) -> dict:
    """``python -m <service>.cli *args`` in the service's folder with ``stack``'s
    settings; its JSON answer (the command must succeed)."""
    done = subprocess.run(
        [sys.executable, "-m", f"{service}.cli", *args],
        cwd=ROOT / "services" / service,
        env=stack.env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
