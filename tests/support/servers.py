"""Private RabbitMQ, PostgreSQL and Redis servers, for the fault drills and the
tests that stop or kill a server.

Other people run tests against the machine's shared servers at the same time, so a
drill that restarts a server restarts one of its own: started here on free ports in
a temporary directory, stopped and removed at the end. Each has ``url``, ``start()``,
``stop()`` and ``remove()``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.isolation import free_port


def _as_user(user: str, command: list[str]) -> list[str]:
    """``command`` run as ``user`` when we are root (servers refuse to run as root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", user, "--", *command]
    return command


def _own(path: Path, user: str) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam(user)
        for root, dirs, files in os.walk(path):
            os.chown(root, entry.pw_uid, entry.pw_gid)
            for name in dirs + files:
                os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)


def _wait(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up in {timeout:.0f} s")


class _PrivateServer:
    """What the three servers share: a free port, a temporary directory of their
    own, and ``remove()`` (stop, then delete the directory)."""

    KIND = ""
    # errors a stop may end with that must not keep the directory from going
    STOP_ERRORS: tuple[type[BaseException], ...] = ()

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix=f"drill-{self.KIND}-"))

    def stop(self) -> None:
        raise NotImplementedError

    def remove(self) -> None:
        with contextlib.suppress(*self.STOP_ERRORS):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis(_PrivateServer):
    KIND = "redis"

    def __init__(self):
        super().__init__()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=open(self.dir / "redis.log", "ab"),  # noqa: SIM115 - lives with the server
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait(self._ping, 15, "redis-server")

    def _ping(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_timeout=1).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=15)

    def kill(self) -> None:
        """A crash: SIGKILL, nothing saved (a later start loads the last snapshot)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=15)


class PrivatePostgres(_PrivateServer):
    KIND = "pg"
    STOP_ERRORS = (subprocess.CalledProcessError,)
    USER = "postgres"

    def __init__(self):
        super().__init__()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"
        self.data = self.dir / "data"
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            raise RuntimeError("no /usr/lib/postgresql/*/bin")
        self.bin = Path(bins[-1])
        _own(self.dir, self.USER)
        subprocess.run(
            _as_user(
                self.USER,
                [
                    str(self.bin / "initdb"),
                    "-D",
                    str(self.data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                ],
            ),
            check=True,
            capture_output=True,
        )

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            _as_user(
                self.USER, [str(self.bin / "pg_ctl"), "-D", str(self.data), *args]
            ),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=300"
        )
        self._ctl("-l", str(self.dir / "postgres.log"), "-w", "-o", options, "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")


class PrivateRabbit(_PrivateServer):
    """A RabbitMQ node of its own (no plugins; its default vhost ``/`` is the run's)."""

    KIND = "rabbit"
    USER = "rabbitmq"

    def __init__(self):
        super().__init__()
        self.dist_port = free_port()
        self.node = f"drill-{secrets.token_hex(3)}@localhost"
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        (self.dir / "enabled_plugins").write_text("[].\n")
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\nloopback_users = none\n"
        )
        _own(self.dir, self.USER)
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq"),
            "RABBITMQ_PID_FILE": str(self.dir / "pid"),
        }

    def _ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["rabbitmqctl", "-n", self.node, *args],
            check=False,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self) -> None:
        # in the foreground of a process of ours (``-detached`` leaves nothing to
        # wait on): stopped with ``rabbitmqctl stop``
        self.process = subprocess.Popen(
            ["rabbitmq-server"],
            env=self.env,
            stdout=open(self.dir / "server.out", "ab"),  # noqa: SIM115 - lives with the server
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait(
            lambda: (
                self._ctl("await_startup", "--timeout", "5", timeout=20).returncode == 0
            ),
            90,
            "the private RabbitMQ node",
        )

    def stop(self) -> None:
        self._ctl("stop")
        if self.process is not None:
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
