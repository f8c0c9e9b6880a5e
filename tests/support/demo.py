"""The demo business system, Torch statistics (deploy/demo/torch_statistics.py), as a
real process of a test stack: registered with ``python -m sso.cli add-client`` as a
business system of its own (its own client id and secret, a free port), started,
and at the end stopped and disabled (it leaves the catalogue). Used by the e2e and
the browser tests of single sign-on.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.cli import service_cli
from tests.support.isolation import free_port
from tests.support.stack import ROOT
from tests.support.waiting import wait_for

DEMO = ROOT / "deploy" / "demo" / "torch_statistics.py"


def sso_cli(stack, *args: str) -> dict:
    """``python -m sso.cli`` as an operator runs it, against this stack's database."""
    return service_cli(stack, "sso", *args)


@dataclass(frozen=True)
class Demo:
    url: str  # http://127.0.0.1:<port>
    client_id: str
    name_zh: str
    name_en: str
    log: Path


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def _register(stack, demo: Demo, secret: str, portal: str) -> None:
    file = demo.log.with_suffix(".yml")
    file.write_text(
        "clients:\n"
        f"  - client_id: {demo.client_id}\n"
        f"    secret: {secret}\n"
        f"    redirect_uris: [{demo.url}/callback]\n"
        f"    post_logout_redirect_uris: [{portal}/]\n"
        f"    initiate_login_uri: {demo.url}/login\n"
        f"    name_zh: {demo.name_zh}\n"
        f"    name_en: {demo.name_en}\n",
        encoding="utf-8",
    )
    assert sso_cli(stack, "add-client", str(file)) == {"registered": 1}


@contextmanager
def running_demo(
    stack,
    folder: Path,
    name_zh: str = "火炬统计",
    name_en: str = "Torch statistics",
) -> Iterator[Demo]:
    """Torch statistics registered with ``stack`` and listening, until the end of
    the ``with``; its log is ``folder/demo-<client id>.log``."""
    portal = stack.url.removesuffix("/api/v1")
    client_id = f"demo-{secrets.token_hex(4)}"
    port = free_port()
    demo = Demo(
        url=f"http://127.0.0.1:{port}",
        client_id=client_id,
        name_zh=name_zh,
        name_en=name_en,
        log=folder / f"{client_id}.log",
    )
    secret = secrets.token_urlsafe(24)
    _register(stack, demo, secret, portal)
    process = subprocess.Popen(
        [sys.executable, str(DEMO)],
        env={
            **stack.env(),
            "DEMO_ISSUER": portal,
            "DEMO_CLIENT_ID": client_id,
            "DEMO_CLIENT_SECRET": secret,
            "DEMO_BIND": f"127.0.0.1:{port}",
        },
        stdout=demo.log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(
            lambda: answers(demo.url) or process.poll() is not None,
            timeout=20,
            what="the demo to listen",
        )
        assert process.poll() is None, demo.log.read_text()
        yield demo
    finally:
        process.terminate()
        process.wait(timeout=10)
        sso_cli(stack, "disable", client_id)
