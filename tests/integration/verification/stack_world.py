"""Verification over the real broker, database and processes: the world its tests act in.

Every account is made as a user makes it, through the gateway and the real accounts
service (captcha and SMS code from the dev endpoints), so verification opens its
cases from the events accounts really emits and asks the real accounts for what to
check; sessions come from real logins and reviewers from accounts' operator CLI.
Only where a test is about a duplicate or late delivery is an event accounts emitted
delivered again by hand (tests/support/events.py).
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
import sqlalchemy as sa
from PIL import Image

from tests.identity_data import PASSWORD
from tests.support import client, events
from tests.support.stack import NAMEKO_SERVICES, Stack
from tests.support.waiting import wait_for

# the queue of verification's handler of accounts' registrations (nameko's naming)
REGISTRATIONS_QUEUE = (
    "evt-accounts-person_registered--verification.on_accounts_person_registered"
)


@dataclass
class Account:
    account_id: str
    body: dict  # the registration sent
    token: str | None = None  # a session of a real login


def new_name() -> str:
    return "更正" + "".join(secrets.choice("伟芳娜敏静丽强磊军洋") for _ in range(2))


@dataclass
class World:
    stack: Stack
    engine: sa.Engine  # verification's database
    registry: Path
    # what copy 0 of verification was started with, beyond the stack's settings
    verification_env: dict[str, str] = field(default_factory=dict)
    _reviewer: dict | None = None

    @property
    def url(self) -> str:
        return self.stack.url

    # --- accounts, registered through the gateway and the real accounts ---------------

    def log_in(self, login_name: str) -> str:
        answer = client.log_in_solving_captcha(self.url, login_name, PASSWORD)
        assert answer.status_code == 201, answer.text
        return answer.json()["token"]

    def person(self, in_registry: bool = True, log_in: bool = True) -> Account:
        """A newly registered person; in the authority's registry or not."""
        body, answer = client.register_person(
            self.url,
            client.person_body(),
            registry=self.registry if in_registry else None,
        )
        token = self.log_in(body["login_name"]) if log_in else None
        return Account(answer["account_id"], body, token)

    def people(
        self, count: int, in_registry: Callable[[int], bool] = lambda i: True
    ) -> list[str]:
        """The account ids of ``count`` newly registered persons (four at a time)."""

        def register(i: int) -> str:
            registry = self.registry if in_registry(i) else None
            _, answer = client.register_person(
                self.url, client.person_body(), registry=registry
            )
            return answer["account_id"]

        with ThreadPoolExecutor(4) as pool:
            return list(pool.map(register, range(count)))

    def organization(
        self, in_registry: bool = True, log_in: bool = False, **recorded: str
    ) -> Account:
        """A newly registered organisation; in the authority's registry or not.
        ``recorded`` makes the registry's record differ from what was registered
        (``name=...``, ``legal_representative_name=...``)."""
        body = client.organization_body()
        if in_registry:
            client.add_to_registry(self.registry, body, **recorded)
        body, answer = client.register_organization(self.url, body=body)
        token = self.log_in(body["login_name"]) if log_in else None
        return Account(answer["account_id"], body, token)

    def reviewer(self) -> dict:
        """A reviewer made with accounts' CLI, past the first login (one per module)."""
        if self._reviewer is None:
            self._reviewer = client.reviewer_session(self.url, self.stack.env())
        return self._reviewer

    def change_profile(self, token: str, **changes) -> dict:
        answer = requests.patch(
            f"{self.url}/me/profile",
            json=changes,
            headers=client.bearer(token),
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def emitted(self, event_type: str, account_id: str) -> list[events.Event]:
        """The events accounts emitted about an account (from its outbox)."""
        return events.emitted(
            self.stack.isolation.db_url("accounts"), event_type, account_id
        )

    def deliver_again(self, *emitted: events.Event) -> None:
        events.publish(self.stack.isolation.amqp_uri, *emitted)

    # --- what verification recorded ------------------------------------------------------

    def sql(self, text: str, **params: object) -> sa.Result:
        """One read of verification's database; the result outlives the connection."""
        with self.engine.connect() as conn:
            return conn.execute(sa.text(text), params).freeze()()

    def cases(self, account_ids: list[str]) -> list:
        return self.sql(
            "SELECT id, account_id, state, reason_code, opened_by_event"
            " FROM verification_cases WHERE account_id = ANY(:ids)",
            ids=list(account_ids),
        ).all()

    def decided(self, account_ids: list[str]) -> list | None:
        """The decided cases, once every account has one (else None)."""
        done = [
            r
            for r in self.cases(account_ids)
            if r.state not in ("pending", "superseded")
        ]
        return done if {r.account_id for r in done} == set(account_ids) else None

    def consumed(self, event_id: str) -> bool:
        return bool(
            self.sql(
                "SELECT count(*) FROM processed_events WHERE event_id = :e", e=event_id
            ).scalar_one()
        )

    def outcome_events(self, account_ids: list[str]) -> list:
        return self.sql(
            "SELECT event_type, envelope->'data'->>'case_id' AS case_id"
            " FROM outbox WHERE event_type IN"
            " ('verification_passed', 'verification_failed')"
            " AND envelope->'data'->>'account_id' = ANY(:ids)"
            # without an order the heap's decides, and the relay's update
            # (sent_at) moves a row: events in the order they happened
            " ORDER BY created_at",
            ids=list(account_ids),
        ).all()

    def decisions_per_case(self, account_ids: list[str]) -> dict[str, int]:
        rows = self.sql(
            "SELECT t.case_id, count(*) FROM verification_case_transitions t"
            " JOIN verification_cases c ON c.id = t.case_id"
            " WHERE c.account_id = ANY(:ids) AND t.trigger LIKE 'authority_%'"
            " GROUP BY t.case_id",
            ids=list(account_ids),
        ).all()
        return dict(rows)

    def work_attempts(self, account_ids: list[str]) -> list[int]:
        return list(
            self.sql(
                "SELECT w.attempts FROM work_items w JOIN verification_cases c"
                " ON c.id = w.ref WHERE c.account_id = ANY(:ids)",
                ids=list(account_ids),
            ).scalars()
        )

    # --- processes -------------------------------------------------------------------------

    def start_verification(self, copy: int = 0, **overrides: str) -> None:
        self.stack.start("verification", copy, **overrides)
        if copy == 0:
            self.verification_env = overrides

    def stop_verification(self) -> None:
        """kill -9 every copy: accounts' events wait in verification's queues."""
        for key in [k for k in list(self.stack.processes) if k[0] == "verification"]:
            self.stack.kill(*key, sig=9)

    # --- HTTP ----------------------------------------------------------------------------------

    def get(self, path: str, token: str, **kwargs) -> requests.Response:
        return requests.get(
            f"{self.url}{path}", headers=client.bearer(token), timeout=10, **kwargs
        )

    def post(self, path: str, token: str, **kwargs) -> requests.Response:
        return requests.post(
            f"{self.url}{path}", headers=client.bearer(token), timeout=30, **kwargs
        )

    def my_status(self, token: str) -> dict:
        answer = self.get("/me/verification", token)
        answer.raise_for_status()
        return answer.json()

    def decide(
        self, case_id: str, token: str, decision: str, reason: str
    ) -> requests.Response:
        return client.decide(self.url, token, case_id, decision, reason)

    def wait_status(self, token: str, status: str, timeout: float = 10) -> dict:
        return wait_for(
            lambda: (s := self.my_status(token))["status"] == status and s,
            timeout=timeout,
            what=f"/me/verification to say {status}",
        )


def make_ready(world: World, verification: bool) -> World:
    """Every real process up, extra copies gone, and one ordinary verification
    copy or (``verification=False``) none at all."""
    stack = world.stack
    for key in [k for k in list(stack.processes) if k[1] > 0]:
        stack.kill(*key, sig=9)
    if verification and world.verification_env:
        world.stop_verification()
    if not stack.is_running("verification"):
        world.start_verification()
    for service in (*NAMEKO_SERVICES, "gateway"):
        if not stack.is_running(service):
            stack.start(service)
    stack.wait_ready(timeout=90)
    if not verification:
        world.stop_verification()
    return world


def image_bytes(kind: str = "PNG", size=(120, 80)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (90, 120, 200)).save(out, format=kind)
    return out.getvalue()


def upload(w, token, files: dict[str, tuple[str, bytes, str]]) -> requests.Response:
    return w.post("/me/verification/materials", token, files=files)
