"""Steady registration load and its reckoning: what was accepted, what reached an
outcome, how long it took, and what was lost or applied twice.

Used by the registration scenario of bench/run.py and by every fault drill
(bench/drills.py). Each client thread registers people one after another (captcha,
SMS code from the dev outbox, POST /registrations/person), every person first put
in the simulated authority's registry so that verification should pass them.

Each request ends one of three ways: answered as expected, answered with an error
(any other status, a refused connection), or hung (no answer within the client
timeout). An *accepted* registration is one answered 201: the platform now owes it a
verification outcome. ``settle`` polls GET /me/verification and GET /me for each
until verification has decided and accounts shows the same outcome: an accepted
registration without that by the deadline is *lost*; one whose case history holds
more than one outcome was *applied twice*.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests

from bench.harness import percentile
from tests.support import client

OUTCOMES = ("passed", "failed", "manual_review", "rejected")


@dataclass
class Accepted:
    account_id: str
    login_name: str
    password: str
    sent_at: float  # wall clock, when the registration request was sent
    token: str | None = None
    outcome: str | None = None
    outcome_latency: float | None = None
    outcomes_in_history: int = 0


@dataclass
class Tally:
    ok: int = 0
    errors: int = 0
    hung: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    # monotonic times of each answer (ok or not), for recovery times
    events: list[tuple[float, bool]] = field(default_factory=list)


class RegistrationLoad:
    """``concurrency`` threads registering people until ``stop()``."""

    def __init__(
        self,
        url: str,
        registry: Path | None,
        concurrency: int = 2,
        timeout: float = 5.0,
        seed: int | None = None,
    ):
        self.url = url
        self.registry = registry
        self.concurrency = concurrency
        self.timeout = timeout
        self.rng = random.Random(seed)
        self.accepted: list[Accepted] = []
        self.tally = Tally()
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- the load ---------------------------------------------------------------------

    def start(self) -> RegistrationLoad:
        for index in range(self.concurrency):
            thread = threading.Thread(target=self._worker, args=(index,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout * 4 + 20)

    def _record(self, ok: bool, kind: str | None = None) -> None:
        with self.lock:
            self.tally.events.append((time.monotonic(), ok))
            if ok:
                self.tally.ok += 1
                return
            if kind == "hung":
                self.tally.hung += 1
            else:
                self.tally.errors += 1
            self.tally.error_kinds[kind] = self.tally.error_kinds.get(kind, 0) + 1

    def _worker(self, index: int) -> None:
        session = requests.Session()
        with self.lock:
            rng = random.Random(self.rng.random())
        while not self._stop.is_set():
            body = client.person_body(rng)
            sent_at = time.time()
            try:
                body, answer = client.register_person(
                    self.url, body, self.registry, session, timeout=self.timeout
                )
            except requests.Timeout:
                self._record(False, "hung")
                continue
            except requests.ConnectionError:
                self._record(False, "connection refused/reset")
                time.sleep(0.05)
                continue
            except Exception as exc:  # noqa: BLE001 - an HttpError, a failed wait: counted
                self._record(False, _kind(exc))
                time.sleep(0.05)
                continue
            self._record(True)
            with self.lock:
                self.accepted.append(
                    Accepted(
                        answer["account_id"],
                        body["login_name"],
                        body["password"],
                        sent_at,
                    )
                )

    # --- the reckoning ----------------------------------------------------------------

    def settle(self, timeout: float = 60.0) -> dict:
        """Wait (up to ``timeout``) for every accepted registration to reach an
        outcome; return the figures."""
        session = requests.Session()
        deadline = time.monotonic() + timeout
        waiting = [a for a in self.accepted if a.outcome is None]
        while waiting and time.monotonic() < deadline:
            for item in waiting:
                with contextlib.suppress(requests.RequestException):
                    self._check(session, item)
            waiting = [a for a in waiting if a.outcome is None]
            if waiting:
                time.sleep(0.5)
        # one more look at every case: a second outcome may land after the first
        for item in self.accepted:
            if item.outcome is not None:
                with contextlib.suppress(requests.RequestException):
                    self._check(session, item, again=True)
        return self.figures()

    def _check(
        self, session: requests.Session, item: Accepted, again: bool = False
    ) -> None:
        if item.token is None:
            answer = client.log_in(self.url, item.login_name, item.password, session)
            if answer.status_code != 201:
                return
            item.token = answer.json()["token"]
        answer = session.get(
            f"{self.url}/me/verification", headers=client.bearer(item.token), timeout=10
        )
        if answer.status_code == 401:
            item.token = None
            return
        if answer.status_code != 200:
            return
        state = answer.json()
        decided = [h for h in state["history"] if h["status"] in OUTCOMES]
        item.outcomes_in_history = len(decided)
        if state["status"] not in OUTCOMES or not decided or again:
            return
        # the outcome must also have reached accounts (its event consumed there)
        me = session.get(
            f"{self.url}/me", headers=client.bearer(item.token), timeout=10
        )
        if me.status_code != 200 or me.json()["real_name_status"] != state["status"]:
            return
        item.outcome = state["status"]
        first = datetime.fromisoformat(decided[0]["at"]).timestamp()
        item.outcome_latency = max(0.0, first - item.sent_at)

    def figures(self) -> dict:
        latencies = sorted(
            a.outcome_latency for a in self.accepted if a.outcome_latency
        )
        outcomes: dict[str, int] = {}
        for item in self.accepted:
            key = item.outcome or "none"
            outcomes[key] = outcomes.get(key, 0) + 1
        return {
            "answered_ok": self.tally.ok,
            "answered_error": self.tally.errors,
            "hung": self.tally.hung,
            "error_kinds": dict(self.tally.error_kinds),
            "accepted": len(self.accepted),
            "outcomes": outcomes,
            "lost": sum(1 for a in self.accepted if a.outcome is None),
            "applied_twice": sum(1 for a in self.accepted if a.outcomes_in_history > 1),
            "to_outcome_p50_ms": percentile(latencies, 0.50) * 1000,
            "to_outcome_p95_ms": percentile(latencies, 0.95) * 1000,
            "to_outcome_p99_ms": percentile(latencies, 0.99) * 1000,
        }

    def succeeded_since(self, moment: float) -> bool:
        with self.lock:
            return any(ok and t > moment for t, ok in self.tally.events)

    def recovery_seconds(self, fault_at: float) -> float | None:
        """From ``fault_at`` (monotonic) to the first success after the last
        failure that followed it; 0 when nothing failed; None when it never
        recovered."""
        with self.lock:
            after = [(t, ok) for t, ok in self.tally.events if t >= fault_at]
        failures = [t for t, ok in after if not ok]
        if not failures:
            return 0.0
        later = [t for t, ok in after if ok and t > failures[-1]]
        return (later[0] - fault_at) if later else None


def _kind(exc: Exception) -> str:
    text = str(exc)
    for status in (
        " 400 ",
        " 409 ",
        " 422 ",
        " 429 ",
        " 500 ",
        " 502 ",
        " 503 ",
        " 504 ",
    ):
        if status in text:
            return f"HTTP {status.strip()}"
    return type(exc).__name__
