"""The platform's real processes, started for a test run (integration and e2e).

Every service and the gateway run as they do under `make up` (same commands, same
config files), only with the run's isolated databases, vhost, key prefix and port.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.support.isolation import DB_SERVICES, Isolation, free_port
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
AUTHORITY_SAMPLE = ROOT / "services/verification/authority_registry.sample.csv"
NAMEKO_SERVICES = ("accounts", "otp", "verification", "recovery", "sso")
RPC_TIMEOUT = 5


def command_for(service: str) -> list[str]:
    if service == "gateway":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--no-control-socket",
        ]
    return [
        sys.executable,
        "-m",
        "nameko",
        "run",
        "--config",
        "config.yml",
        f"{service}.service",
    ]


class Stack:
    def __init__(self, isolation: Isolation, log_dir: Path):
        self.isolation = isolation
        self.log_dir = log_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api/v1"
        self.processes: dict[tuple[str, int], subprocess.Popen] = {}
        self._log_files: list = []
        self.metrics_ports: dict[tuple[str, int], int] = {}
        # the simulated identity authority's registry: a copy of the sample that
        # tests append people to while verification runs
        self.authority_registry = log_dir / "authority_registry.csv"
        shutil.copy(AUTHORITY_SAMPLE, self.authority_registry)

    def env(self, **overrides: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.isolation.env())
        env.update(
            {
                "GATEWAY_BIND": f"127.0.0.1:{self.port}",
                "GATEWAY_WORKERS": "2",
                # Generous: several test runs may share this 2-core machine.
                "RPC_TIMEOUT": str(RPC_TIMEOUT),
                "READY_TIMEOUT": "1.5",
                "PYTHONUNBUFFERED": "1",
                "AUTHORITY_REGISTRY_PATH": str(self.authority_registry),
                # Every test request comes from 127.0.0.1: the per-address SMS cap
                # would be shared by the whole suite. Tests of that cap start an otp
                # copy with their own small limits.
                "OTP_CLIENT_PER_HOUR": "100000",
                "CAPTCHAS_PER_MINUTE": "100000",
                # the pages' live document check asks on leaving the field
                "DOCUMENT_CHECKS_PER_HOUR": "100000",
                "OTP_TEXT_CAPTCHAS_PER_HOUR": "100000",
                # The login-name check likewise (the OpenAPI fuzzing alone asks
                # hundreds); its quotas are tested on a gateway app of their own
                # (tests/integration/test_gateway_quotas.py).
                "LOGIN_NAME_CHECKS_PER_HOUR": "100000",
                "LOGIN_NAME_CHECKS_PER_NAME_PER_HOUR": "100000",
                "REGISTRATIONS_PER_HOUR": "100000",
                "LOGIN_UNLOCKS_PER_HOUR": "100000",
                # Failed logins per address likewise: one test's deliberate
                # failures must not make every later login of the run need a
                # captcha. Per-account limits keep their defaults.
                "LOGIN_IP_CAPTCHA_AFTER": "1000000",
                "LOGIN_IP_BLOCK_AFTER": "1000000",
                "RECOVERY_CLIENT_PER_HOUR": "100000",
                "RECOVERY_SUBJECT_PER_HOUR": "100000",
                # the development configuration's support contact (deploy/local/up.sh)
                "SUPPORT_PHONE": "010-88659000（中继线）",
                "SUPPORT_EMAIL": "fuwu@most.cn",
                "SUPPORT_FAX": "010-88654001",
                # under a quarter of the isolation's 4 s work lease
                "RECOVERY_WORK_RPC_TIMEOUT": "0.9",
                # the OpenID Provider's issuer is this stack's own origin
                "SSO_ISSUER": f"http://127.0.0.1:{self.port}",
            }
        )
        env.update(overrides)
        return env

    def migrate(self) -> None:
        folders = [f"services/{s}" for s in DB_SERVICES]
        subprocess.run(
            [sys.executable, "-m", "servicekit.migrate", *folders],
            cwd=ROOT,
            env=self.env(),
            check=True,
            capture_output=True,
        )

    def log_path(self, service: str, copy: int = 0) -> Path:
        return self.log_dir / f"{service}-{copy}.log"

    def metrics_url(self, service: str, copy: int = 0) -> str:
        """Where a process serves its Prometheus metrics (never the public port)."""
        return f"http://127.0.0.1:{self.metrics_ports[(service, copy)]}/metrics"

    def start(self, service: str, copy: int = 0, **env: str) -> None:
        port = self.metrics_ports.setdefault((service, copy), free_port())
        env = {"METRICS_PORT": str(port), "METRICS_HOST": "127.0.0.1", **env}
        if service == "gateway":
            # in this stack's own folder (a killed gunicorn cannot clean up; two
            # stacks must never share one: they would count into each other)
            metrics_dir = self.log_dir / f"gateway-{copy}-metrics"
            env = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), **env}
        log = open(self.log_path(service, copy), "ab")  # noqa: SIM115 - closed in stop_all
        self._log_files.append(log)
        self.processes[(service, copy)] = subprocess.Popen(
            command_for(service),
            cwd=ROOT / "services" / service,
            env=self.env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_all(self) -> None:
        for service in (*NAMEKO_SERVICES, "gateway"):
            self.start(service)

    def start_stopped(self, timeout: float = 60) -> None:
        """Start every service a previous test stopped and wait until /ready: a
        module's tests begin with the whole platform up, whatever ran before."""
        for service in (*NAMEKO_SERVICES, "gateway"):
            if not self.is_running(service):
                self.start(service)
        self.wait_ready(timeout=timeout)

    def kill(self, service: str, copy: int = 0, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop((service, copy))
        os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def is_running(self, service: str, copy: int = 0) -> bool:
        process = self.processes.get((service, copy))
        return process is not None and process.poll() is None

    def ready(self) -> dict | None:
        response = requests.get(f"{self.url}/ready", timeout=10)
        return response.json() if response.status_code == 200 else None

    def wait_ready(self, timeout: float = 60) -> dict:
        return wait_for(
            self.ready, timeout=timeout, interval=0.25, what="/ready to be 200"
        )

    def log_lines(self, service: str) -> list[dict]:
        """Every JSON line logged by every copy of ``service`` so far."""
        lines = []
        for path in sorted(self.log_dir.glob(f"{service}-*.log")):
            for raw in path.read_text(errors="replace").splitlines():
                if raw.startswith("{"):
                    try:
                        lines.append(json.loads(raw))
                    except ValueError:
                        continue
        return lines

    def stop_all(self) -> None:
        for process in list(self.processes.values()):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()
        for log in self._log_files:
            log.close()


@contextmanager
def isolated_stack(
    prefix: str = "stack-", isolation: Isolation | None = None, **env: str
) -> Iterator[Stack]:
    """A whole throwaway stack (as the e2e tests start it) for a script: its own
    databases, vhost, key prefix and port, all removed on leaving; ``env`` goes to
    every process. Logs stay in the temporary ``stack.log_dir``."""
    isolation = isolation or Isolation()
    isolation.create()
    stack = Stack(isolation, Path(tempfile.mkdtemp(prefix=prefix)))
    try:
        stack.migrate()
        for service in (*NAMEKO_SERVICES, "gateway"):
            stack.start(service, **env)
        stack.wait_ready()
        yield stack
    finally:
        stack.stop_all()
        isolation.destroy()
