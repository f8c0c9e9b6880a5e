"""A private nginx in front of a gateway, with the deployment's own config.

``deploy/nginx/gateway-proxy.conf.template`` is rendered as the nginx image renders
it (only its ``${PROXY_...}`` variables replaced) and included in a minimal main
config with this proxy's own pid, log and temporary folders, so several runs on one
machine never share anything. nginx comes from Debian's package
(``deploy/local/ensure-nginx.sh``, run by ``make test`` and ``.ci/run``); a missing
binary is an error, never a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.isolation import free_port
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy/nginx/gateway-proxy.conf.template"
VARIABLE = re.compile(r"\$\{(PROXY_[A-Z0-9_]+)\}")


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None
    )
    if not found:
        raise RuntimeError(
            "nginx is not installed: run deploy/local/ensure-nginx.sh "
            "(make test and .ci/run do)"
        )
    return found


def render(template: str, **values: str) -> str:
    """The template with its ``${PROXY_...}`` variables replaced (every one must be
    given); nginx's own ``$variables`` are left alone, as envsubst leaves them."""

    def value(match: re.Match) -> str:
        return values[match.group(1)]

    return VARIABLE.sub(value, template)


MAIN = """\
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
{user}
events {{ worker_connections 512; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/gateway-proxy.conf;
}}
"""


@dataclass
class Proxy:
    port: int
    folder: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def nginx_proxy(upstream_port: int) -> Iterator[Proxy]:
    """nginx on a free port in front of the gateway on ``upstream_port``; stopped
    (and its folder removed) on leaving."""
    binary = nginx_binary()
    folder = Path(tempfile.mkdtemp(prefix="gateway-proxy-"))
    port = free_port()
    (folder / "gateway-proxy.conf").write_text(
        render(
            TEMPLATE.read_text(),
            PROXY_PORT=f"127.0.0.1:{port}",
            PROXY_UPSTREAM=f"127.0.0.1:{upstream_port}",
        )
    )
    # as root, nginx's workers would drop to "nobody", who cannot write here
    user = "user root;" if os.geteuid() == 0 else ""
    main = folder / "nginx.conf"
    main.write_text(MAIN.format(dir=folder, user=user))
    log = open(folder / "stdout.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [binary, "-p", str(folder), "-c", str(main)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proxy = Proxy(port, folder, process)
    try:
        try:
            wait_for(
                lambda: (
                    process.poll() is None
                    and requests.get(f"{proxy.url}/health", timeout=2).status_code
                    == 200
                ),
                timeout=20,
                what=f"nginx on {port} to answer /health",
            )
        except AssertionError as exc:
            raise AssertionError(f"{exc}; nginx said: {proxy.error_log()}") from None
        yield proxy
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)
