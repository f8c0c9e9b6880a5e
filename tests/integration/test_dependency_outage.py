"""A service whose PostgreSQL or Redis is down answers 503, not 500, and recovers.

One accounts copy and one gateway of this module's own (own vhost, key prefix and
gateway port: the shared stack's processes never see these requests) reach
PostgreSQL and Redis through TCP forwarders the test can cut: nothing listens on
the port any more and every open connection is closed, as when the server stops.
"""

from __future__ import annotations

import contextlib
import select
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy.engine import make_url

from tests.support.isolation import Isolation, free_port
from tests.support.stack import ROOT, Stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


class Cuttable:
    """A TCP forwarder on a port of its own to ``host:port``. ``cut()`` stops
    listening and closes every connection; ``restore()`` listens again on the
    same port."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._stop: threading.Event | None = None
        self._acceptor: threading.Thread | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._stop = threading.Event()
        self._acceptor = threading.Thread(
            target=self._accept, args=(listener, self._stop), daemon=True
        )
        self._acceptor.start()

    def cut(self) -> None:
        self._stop.set()
        self._acceptor.join()  # the port is closed: a reconnect is refused
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket, stop: threading.Event) -> None:
        with listener:
            while not stop.is_set():
                if not select.select([listener], [], [], 0.05)[0]:
                    continue
                client, _ = listener.accept()
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    client.close()
                    continue
                upstream.settimeout(None)
                with self._lock:
                    self._sockets |= {client, upstream}
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(
                        target=self._pipe, args=(source, sink), daemon=True
                    ).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def through(url: str, proxy: Cuttable) -> str:
    """``url`` with its host and port replaced by the forwarder's."""
    return str(make_url(url).set(host="127.0.0.1", port=proxy.port))


@pytest.fixture(scope="module")
def outage():
    """accounts and a gateway of a stack of their own, with cuttable stores."""
    own = Isolation()
    own.create()
    stack = Stack(own, Path(tempfile.mkdtemp(prefix=f"outage-{own.run_id}-")))
    pg_url = make_url(own.db_url("accounts"))
    redis_url = urlsplit(own.redis_server)
    database = Cuttable(pg_url.host or "127.0.0.1", pg_url.port or 5432)
    cache = Cuttable(redis_url.hostname or "127.0.0.1", redis_url.port or 6379)
    try:
        subprocess.run(
            [sys.executable, "-m", "servicekit.migrate", "services/accounts"],
            cwd=ROOT,
            env=stack.env(),
            check=True,
            capture_output=True,
        )
        stack.start(
            "accounts",
            ACCOUNTS_DB_URL=through(own.db_url("accounts"), database),
            REDIS_URL=f"redis://127.0.0.1:{cache.port}{redis_url.path or '/0'}",
            DEPENDENCY_RETRY_AFTER="7",
        )
        stack.start("gateway", GATEWAY_WORKERS="1")
        stack.database, stack.cache = database, cache
        # accounts answers through the gateway: the database path works
        wait_for(
            lambda: check_login_name(stack).status_code == 200,
            timeout=60,
            interval=0.25,
            what="accounts to answer through the gateway",
        )
        yield stack
    finally:
        database.cut()
        cache.cut()
        stack.stop_all()
        own.destroy()


def check_login_name(stack: Stack) -> requests.Response:
    return requests.get(f"{stack.url}/login-names/outage_probe_01", timeout=10)


# well formed (accounts looks it up in Redis), but no session has it
UNKNOWN_TOKEN = "outage-probe-token-0123456789abcdef"


def who_am_i(stack: Stack) -> requests.Response:
    return requests.get(
        f"{stack.url}/me",
        headers={"Authorization": f"Bearer {UNKNOWN_TOKEN}"},
        timeout=10,
    )


def assert_dependency_unavailable(answer: requests.Response, dependency: str) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.headers["Retry-After"] == "7"
    body = answer.json()
    assert body["code"] == "dependency_unavailable"
    assert body["dependency"] == dependency
    assert body["status"] == 503
    for internal in ("psycopg", "OperationalError", "ConnectionError", "127.0.0.1"):
        assert internal not in answer.text


def test_postgresql_down_answers_503_then_the_same_request_succeeds(outage):
    assert check_login_name(outage).json() == {
        "login_name": "outage_probe_01",
        "available": True,
    }

    outage.database.cut()
    try:
        # first request: the pooled connection is dead and reconnecting is refused
        assert_dependency_unavailable(check_login_name(outage), "postgresql")
        assert_dependency_unavailable(check_login_name(outage), "postgresql")
    finally:
        outage.database.restore()

    answer = wait_for(
        lambda: (r := check_login_name(outage)).status_code == 200 and r,
        timeout=10,
        interval=0.2,
        what="check_login_name to succeed again",
    )
    assert answer.json()["available"] is True

    # on-call sees the cause: the driver's error, with its traceback
    failed = [
        line
        for line in outage.log_lines("accounts")
        if line.get("message") == "entrypoint finished"
        and line.get("entrypoint") == "check_login_name"
        and line.get("outcome") == "error"
    ]
    assert failed and failed[-1]["error"] == "OperationalError"
    assert failed[-1]["level"] == "ERROR"
    assert "Traceback" in failed[-1]["exc_info"]


def test_redis_down_answers_503_then_the_same_request_is_answered(outage):
    assert who_am_i(outage).status_code == 401  # sessions live in Redis

    outage.cache.cut()
    try:
        assert_dependency_unavailable(who_am_i(outage), "redis")
    finally:
        outage.cache.restore()

    wait_for(
        lambda: who_am_i(outage).status_code == 401,
        timeout=10,
        interval=0.2,
        what="resolve_session to answer again",
    )
