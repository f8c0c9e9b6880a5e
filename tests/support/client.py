"""A citizen's HTTP client for a dev/test stack, shared by the e2e tests and bench/.

Registration needs an SMS code, and an SMS code needs a solved captcha: on a dev or
test stack both come from the dev endpoints (``GET /dev/captchas/{id}`` gives the
answer, ``GET /dev/sms-outbox`` the messages sent). Every helper takes the gateway's
``/api/v1`` URL and an optional ``requests.Session`` (one per thread when loading).
"""

from __future__ import annotations

import random
import re
import threading
from pathlib import Path

import requests

from tests import identity_data as gen
from tests.support.waiting import wait_for

CODE = re.compile(r"验证码为(\d{6})")
_registry_lock = threading.Lock()


class HttpError(AssertionError):
    """An answer other than the one a helper expects (status and body in the message)."""


def _expect(answer: requests.Response, status: int) -> requests.Response:
    if answer.status_code != status:
        raise HttpError(
            f"{answer.request.method} {answer.url}: {answer.status_code} {answer.text}"
        )
    return answer


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

    def delivered():
        outbox = http.get(
            f"{url}/dev/sms-outbox", params={"phone": phone}, timeout=timeout
        ).json()
        for message in outbox["messages"]:
            found = CODE.search(message["text"])
            if found:
                return found.group(1)
        return None

    return wait_for(
        delivered, timeout=wait, interval=0.1, what=f"an SMS code for {purpose}"
    )


def add_to_registry(registry: Path, body: dict) -> None:
    """Put the person of a registration ``body`` in the simulated authority's
    registry (AUTHORITY_REGISTRY_PATH), so verification passes them."""
    line = f"person,{body['name']},{body['doc_type']},{body['doc_number']},,\n"
    with _registry_lock, registry.open("a", encoding="utf-8") as handle:
        handle.write(line)


def add_organization_to_registry(registry: Path, body: dict) -> None:
    """Put the organisation of a registration ``body`` (domestic: credit code)
    in the simulated authority's registry, so verification passes it."""
    line = (
        f"organization,{body['name']},,,{body['credit_code']},"
        f"{body['legal_representative']['name']}\n"
    )
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


def register_organization(
    url: str,
    session: requests.Session | None = None,
    registry: Path | None = None,
) -> tuple[dict, dict]:
    """Register a domestic organisation over HTTP; (body sent, answer).

    With ``registry`` the organisation is first added to the authority's
    registry (verification then passes it).
    """
    body = gen.organization_registration(random.Random())
    if registry is not None:
        add_organization_to_registry(registry, body)
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


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
