"""A citizen's HTTP client for a dev/test stack, shared by the e2e and integration
tests and bench/.

Registration needs an SMS code, and an SMS code needs a solved captcha: on a dev or
test stack both come from the dev endpoints (``GET /dev/captchas/{id}`` gives the
answer, ``GET /dev/sms-outbox`` the messages sent). Every helper takes the gateway's
``/api/v1`` URL and an optional ``requests.Session`` (one per thread when loading).
Reviewers are made as an operator makes them, with accounts' CLI
(:func:`create_reviewer`).
"""

from __future__ import annotations

import copy
import json
import random
import re
import subprocess
import sys
import threading
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from verification.authority import REGISTRY_COLUMNS  # the registry file's columns

from tests import identity_data as gen
from tests.support.waiting import wait_for

CODE = re.compile(r"验证码为(\d{6})")
ACCOUNTS_FOLDER = Path(__file__).resolve().parents[2] / "services/accounts"
_registry_lock = threading.Lock()


class HttpError(AssertionError):
    """An answer other than the one a helper expects (status and body in the message)."""


def _expect(answer: requests.Response, status: int) -> requests.Response:
    if answer.status_code != status:
        raise HttpError(
            f"{answer.request.method} {answer.url}: {answer.status_code} {answer.text}"
        )
    return answer


class _FromAddress(HTTPAdapter):
    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(address: str) -> requests.Session:
    """A session whose connections leave from ``address`` (any 127.x.y.z on
    Linux's loopback): to the gateway, a client of its own (another TCP peer)."""
    session = requests.Session()
    session.mount("http://", _FromAddress(address))
    return session


def captcha(
    url: str, session: requests.Session | None = None, timeout: float = 10
) -> dict:
    """A new captcha and its answer, ready to send with a request that needs one."""
    http = session or requests
    created = _expect(http.post(f"{url}/captchas", timeout=timeout), 201)
    captcha_id = created.json()["captcha_id"]
    shown = _expect(http.get(f"{url}/dev/captchas/{captcha_id}", timeout=timeout), 200)
    answer = shown.json()["answer"]
    return {"captcha_id": captcha_id, "captcha_answer": answer}


def sms_code(
    url: str,
    phone: str,
    purpose: str,
    session: requests.Session | None = None,
    timeout: float = 10,
    wait: float = 15,
) -> str:
    """Ask for an SMS code for ``phone`` and read it from the dev outbox."""
    http = session or requests
    _expect(
        http.post(
            f"{url}/sms-codes",
            json={"phone": phone, "purpose": purpose, **captcha(url, session, timeout)},
            timeout=timeout,
        ),
        202,
    )

    return wait_for_sms(
        url, phone, CODE, session, timeout, wait, what=f"an SMS code for {purpose}"
    )


def wait_for_sms(
    url: str,
    phone: str,
    pattern: re.Pattern,
    session: requests.Session | None = None,
    timeout: float = 10,
    wait: float = 15,
    what: str = "an SMS",
) -> str:
    """The first group of ``pattern`` in an SMS to ``phone`` in the dev outbox,
    once one has arrived."""
    http = session or requests

    def delivered():
        outbox = http.get(
            f"{url}/dev/sms-outbox", params={"phone": phone}, timeout=timeout
        ).json()
        for message in outbox["messages"]:
            found = pattern.search(message["text"])
            if found:
                return found.group(1)
        return None

    return wait_for(delivered, timeout=wait, interval=0.1, what=what)


def registry_entry(body: dict, **changes: str) -> dict:
    """The simulated authority's record of the person or organisation of a
    registration ``body`` (the registry's columns), with ``changes`` made to it."""
    if "credit_code" in body:
        entry = {
            "kind": "organization",
            "name": body["name"],
            "doc_type": "",
            "doc_number": "",
            "credit_code": body["credit_code"],
            "legal_representative_name": body["legal_representative"]["name"],
        }
    else:
        entry = {
            "kind": "person",
            "name": body["name"],
            "doc_type": body["doc_type"],
            "doc_number": body["doc_number"],
            "credit_code": "",
            "legal_representative_name": "",
        }
    return {**entry, **changes}


def add_to_registry(registry: Path, body: dict, **changes: str) -> None:
    """Put the person or organisation of a registration ``body`` in the simulated
    authority's registry (AUTHORITY_REGISTRY_PATH), so verification passes them;
    ``changes`` record something else than was registered (``name=...``)."""
    entry = registry_entry(body, **changes)
    line = ",".join(entry[column] for column in REGISTRY_COLUMNS) + "\n"
    with _registry_lock, registry.open("a", encoding="utf-8") as handle:
        handle.write(line)


def person_body(rng: random.Random | None = None, **overrides) -> dict:
    """A valid person registration with a name of its own (sms_code still to fill)."""
    rng = rng or random.Random()
    overrides.setdefault(
        "name", "测试" + "".join(rng.choice("伟芳娜敏静丽强磊军洋") for _ in range(2))
    )
    return gen.person_registration(rng, **overrides)


def register_person(
    url: str,
    body: dict | None = None,
    registry: Path | None = None,
    session: requests.Session | None = None,
    headers: dict | None = None,
    timeout: float = 10,
) -> tuple[dict, dict]:
    """Register a person over HTTP (captcha, SMS code, POST); (body sent, answer).

    With ``registry`` the person is first added to the authority's registry.
    """
    body = dict(body or gen.person_registration(random.Random()))
    if registry is not None:
        add_to_registry(registry, body)
    body["sms_code"] = sms_code(url, body["phone"], "register_person", session, timeout)
    http = session or requests
    answer = http.post(
        f"{url}/registrations/person", json=body, headers=headers or {}, timeout=timeout
    )
    return body, _expect(answer, 201).json()


def organization_body(rng: random.Random | None = None, **overrides) -> dict:
    """A valid organisation registration with a name and a legal representative
    of its own (the main agent's sms_code still to fill)."""
    rng = rng or random.Random()
    word = "".join(rng.choice("华信达兴远通宏泰安瑞") for _ in range(3))
    overrides.setdefault("name", f"示例{word}科技有限公司")
    body = gen.organization_registration(rng, **overrides)
    body["legal_representative"]["name"] = "法人" + "".join(
        rng.choice("伟芳娜敏静丽强磊军洋") for _ in range(2)
    )
    return body


def register_organization(
    url: str,
    session: requests.Session | None = None,
    body: dict | None = None,
    registry: Path | None = None,
) -> tuple[dict, dict]:
    """Register an organisation over HTTP (captcha, the main agent's SMS code,
    POST); (body sent, answer). With ``registry`` it is first added to the
    authority's registry."""
    body = copy.deepcopy(body or gen.organization_registration(random.Random()))
    if registry is not None:
        add_to_registry(registry, body)
    agent = body["main_agent"]
    agent["sms_code"] = sms_code(url, agent["phone"], "register_organization", session)
    http = session or requests
    answer = http.post(f"{url}/registrations/organization", json=body, timeout=10)
    return body, _expect(answer, 201).json()


def log_in(
    url: str,
    login_name: str,
    password: str = gen.PASSWORD,
    session: requests.Session | None = None,
    timeout: float = 10,
    **extra,
) -> requests.Response:
    http = session or requests
    return http.post(
        f"{url}/sessions",
        json={"login_name": login_name, "password": password, **extra},
        timeout=timeout,
    )


def log_in_solving_captcha(
    url: str, login_name: str, password: str
) -> requests.Response:
    """Log in; if the platform asks for a captcha (428), solve it and try again.

    Failed logins are counted per client address too, and every test speaks from
    127.0.0.1: after other tests' deliberate failures, a captcha may be required.
    """
    answer = log_in(url, login_name, password)
    if answer.status_code == 428:
        answer = log_in(url, login_name, password, **captcha(url))
    return answer


def lock_login_name(url: str, login_name: str, session: requests.Session) -> list[int]:
    """Five wrong passwords for ``login_name`` (with a captcha when asked, as the
    fourth and fifth are): the statuses answered."""
    statuses = []
    for attempt in range(5):
        answer = log_in(url, login_name, f"Wrong-Pass-{attempt}", session=session)
        if answer.status_code == 428:
            answer = log_in(
                url,
                login_name,
                f"Wrong-Pass-{attempt}",
                session=session,
                **captcha(url, session),
            )
        statuses.append(answer.status_code)
    return statuses


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def token_of(url: str, body: dict) -> str:
    """The session token of the account registered with ``body``."""
    return log_in_solving_captcha(url, body["login_name"], body["password"]).json()[
        "token"
    ]


def real_name_status(url: str, token: str) -> str:
    me = requests.get(f"{url}/me", headers=bearer(token), timeout=10)
    return me.json()["real_name_status"]


def verified_organization(url: str, registry: Path) -> tuple[dict, str]:
    """An organisation registered (in the authority's ``registry``) whose
    verification passed: its registration body and its session token."""
    body, _ = register_organization(url, registry=registry)
    token = token_of(url, body)
    wait_for_real_name(
        url, token, "passed", what="the organisation's verification to pass"
    )
    return body, token


def designate_agent(url: str, organization_token: str, login_name: str) -> None:
    """The organisation designates the natural person ``login_name`` its agent."""
    designated = requests.post(
        f"{url}/me/agents",
        json={"login_name": login_name},
        headers=bearer(organization_token),
        timeout=10,
    )
    _expect(designated, 201)


def wait_for_real_name(url: str, token: str, status: str, what: str) -> None:
    """Wait (30 s at most) until the account's real-name status is ``status``."""
    wait_for(lambda: real_name_status(url, token) == status, timeout=30, what=what)


def create_reviewer(env: dict[str, str], name: str = "审核员") -> tuple[str, str]:
    """A reviewer made as an operator makes one, with accounts' CLI against the
    database in ``env`` (a stack's ``env()``); (login name, temporary password)."""
    login_name = "rv_" + "".join(random.choice("0123456789abcdef") for _ in range(10))
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "accounts.cli",
            "create-reviewer",
            "--login-name",
            login_name,
            "--name",
            name,
        ],
        cwd=ACCOUNTS_FOLDER,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return login_name, json.loads(created.stdout)["temporary_password"]


def change_password(
    url: str, token: str, current: str, new: str, timeout: float = 10
) -> None:
    answer = requests.put(
        f"{url}/me/password",
        json={
            "current_password": current,
            "new_password": new,
            "new_password_confirmation": new,
        },
        headers=bearer(token),
        timeout=timeout,
    )
    _expect(answer, 204)


def decide(
    url: str, token: str, case_id: str, decision: str, reason: str
) -> requests.Response:
    """A reviewer's decision (``token`` a reviewer's) on a review case: a
    verification case or an appeal; the answer unchecked, for the test to judge."""
    return requests.post(
        f"{url}/admin/review-cases/{case_id}/decision",
        json={"decision": decision, "reason": reason},
        headers=bearer(token),
        timeout=30,
    )


def reviewer_session(url: str, env: dict[str, str]) -> dict:
    """A new reviewer past the first login (the temporary password changed):
    ``{account_id, login_name, password, token}``."""
    login_name, temporary = create_reviewer(env)
    first = _expect(log_in_solving_captcha(url, login_name, temporary), 201).json()
    password = "Rev1ewer!" + login_name[-6:]
    change_password(url, first["token"], temporary, password)
    me = _expect(
        requests.get(f"{url}/me", headers=bearer(first["token"]), timeout=10), 200
    )
    return {
        "account_id": me.json()["account_id"],
        "login_name": login_name,
        "password": password,
        "token": first["token"],
    }
