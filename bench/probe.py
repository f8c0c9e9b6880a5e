"""The attacker's probe of issue 12, taken again: `make probe` (or `--fresh`).

    .venv/bin/python -m bench.probe              # against `make up` (http://127.0.0.1:8080)
    .venv/bin/python -m bench.probe --fresh      # start an isolated stack, probe, remove it

Each part prints what an anonymous client learns or costs the platform, as the
probe measured it before the hardening (the figures quoted in issue 12):

registration  20 registrations with a made-up SMS code, half for a registered document:
              do the answers tell which documents are registered? (before: yes, 0.16 s)
appeal        4 anonymous appeals at once, each with two 5000x5000 PNGs and a wrong SMS
              code, while another client asks recovery for an appeal's status every
              20 ms: the refusal's time and that client's worst wait (before: 2.3 s to
              be refused, status look-ups up to 2,340 ms instead of 21 ms)
headers       Cache-Control on answers that carry personal data or an error (before:
              none on most)
names         100 login-name checks from one address (before: all answered, 1.2 s)
lockout       5 wrong logins lock a name; can the owner still get in? (before: no)
              Then the owner's SMS unlock, and the attacker locking the name again.

Needs a dev or test stack (the dev endpoints give captcha answers and SMS codes).
"""

from __future__ import annotations

import io
import os
import re
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests

from bench.harness import chosen, stack_command
from tests import identity_data as gen
from tests.support import client

PROBES = 20
NAME_CHECKS = 100
UNLOCK_CODE = re.compile(r"验证码为(\d{6})，用于解除登录锁定")
# A fresh stack gets the deployment's defaults of the quotas probed here (the
# test stack raises them for the tests' own bursts).
DEPLOYMENT_QUOTAS = {
    "LOGIN_NAME_CHECKS_PER_HOUR": "60",
    "LOGIN_NAME_CHECKS_PER_NAME_PER_HOUR": "30",
}


def answer_code(answer: requests.Response) -> str:
    if answer.headers.get("Content-Type", "").startswith("application/problem+json"):
        problem = answer.json()
        fields = ",".join(sorted({e["code"] for e in problem.get("errors", [])}))
        return f"{answer.status_code} {problem.get('code')}" + (
            f" ({fields})" if fields else ""
        )
    return str(answer.status_code)


def registration(url: str) -> list[str]:
    """Two registered and two new documents, each asked about five times (under
    the per-document quota, which counts every attempt alike)."""
    documents = {
        "registered": [client.register_person(url)[0]["doc_number"] for _ in range(2)],
        "new": [client.person_body()["doc_number"] for _ in range(2)],
    }
    http = requests.Session()
    answers: dict[str, Counter] = {"registered": Counter(), "new": Counter()}
    started = time.monotonic()
    for probe in range(PROBES):
        kind = "registered" if probe % 2 else "new"
        body = client.person_body()
        body["doc_number"] = documents[kind][(probe // 2) % 2]
        body["sms_code"] = "000000"  # a code never sent: nothing proven
        answer = http.post(f"{url}/registrations/person", json=body, timeout=10)
        answers[kind][answer_code(answer)] += 1
    took = time.monotonic() - started
    reveals = set(answers["registered"]) != set(answers["new"])
    return [
        f"{PROBES} probes in {took:.2f} s; registered documents answered "
        f"{dict(answers['registered'])}, new ones {dict(answers['new'])}",
        f"the answers tell which documents are registered: {'YES' if reveals else 'no'}",
    ]


def big_png(side: int = 5000) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def appeal(url: str, burst: int = 4) -> list[str]:
    png = big_png()
    waits: list[float] = []
    refusals: list[tuple[float, str]] = []
    stop = threading.Event()

    def look_up() -> None:
        http = requests.Session()
        while not stop.is_set():
            asked = time.monotonic()
            http.get(
                f"{url}/recovery/appeals/{uuid.uuid4()}",
                params={"ticket": "x" * 16},
                timeout=30,
            )
            waits.append(time.monotonic() - asked)
            time.sleep(0.02)

    def submit() -> None:
        person = client.person_body()
        started = time.monotonic()
        answer = requests.post(
            f"{url}/recovery/appeals/person",
            data={
                "name": person["name"],
                "identity_region": "mainland",
                "doc_type": "resident_id",
                "doc_number": person["doc_number"],
                "phone": person["phone"],
                "sms_code": "000000",
            },
            files={
                side: (f"{side}.png", png, "image/png")
                for side in ("id_front", "id_back")
            },
            timeout=60,
        )
        refusals.append((time.monotonic() - started, answer_code(answer)))

    watcher = threading.Thread(target=look_up)
    watcher.start()
    time.sleep(0.5)  # the look-ups' quiet pace first
    quiet = len(waits)
    submitters = [threading.Thread(target=submit) for _ in range(burst)]
    for thread in submitters:
        thread.start()
    for thread in submitters:
        thread.join()
    stop.set()
    watcher.join()
    during = waits[quiet:] or waits
    slowest = max(took for took, _ in refusals)
    return [
        f"{burst} appeals of {2 * len(png) // 1024} KB each: refused in at most "
        f"{slowest:.2f} s with {sorted({code for _, code in refusals})}",
        f"status look-ups meanwhile: median {statistics.median(during) * 1000:.0f} ms, "
        f"max {max(during) * 1000:.0f} ms (quiet median "
        f"{statistics.median(waits[:quiet] or during) * 1000:.0f} ms)",
    ]


def headers(url: str) -> list[str]:
    body, _ = client.register_person(url)
    token = client.log_in_solving_captcha(url, body["login_name"], gen.PASSWORD)
    auth = client.bearer(token.json()["token"])
    checks = {
        "GET /me": requests.get(f"{url}/me", headers=auth, timeout=10),
        "GET /me/verification": requests.get(
            f"{url}/me/verification", headers=auth, timeout=10
        ),
        "GET /login-names/{taken}": requests.get(
            f"{url}/login-names/{body['login_name']}", timeout=10
        ),
        "404 problem": requests.get(f"{url}/no-such-thing", timeout=10),
        "422 problem": requests.post(
            f"{url}/registrations/person", json={}, timeout=10
        ),
    }
    return [
        f"{name}: Cache-Control {answer.headers.get('Cache-Control', '(none)')}, "
        f"nosniff {answer.headers.get('X-Content-Type-Options', '(none)')}"
        for name, answer in checks.items()
    ]


def names(url: str) -> list[str]:
    http = requests.Session()
    statuses: Counter = Counter()
    started = time.monotonic()
    for _ in range(NAME_CHECKS):
        name = gen.login_name()
        statuses[http.get(f"{url}/login-names/{name}", timeout=10).status_code] += 1
    took = time.monotonic() - started
    return [
        f"{NAME_CHECKS} checks from one address in {took:.2f} s: "
        f"answers by status {dict(sorted(statuses.items()))}"
    ]


def lockout(url: str) -> list[str]:
    body, _ = client.register_person(url)
    name = body["login_name"]
    attacker = []
    for _ in range(5):
        answer = client.log_in(url, name, "Wrong-passw0rd!")
        if answer.status_code == 428:
            answer = client.log_in(url, name, "Wrong-passw0rd!", **client.captcha(url))
        attacker.append(answer_code(answer))
    owner = client.log_in(url, name, gen.PASSWORD, **client.captcha(url))
    lines = [
        f"attacker's 5 wrong logins: {attacker}",
        f"the owner then, right password and captcha: {answer_code(owner)}",
    ]
    return lines + unlock(url, name, body["phone"])


def unlock(url: str, name: str, phone: str) -> list[str]:
    """The owner's way out (issue 12, finding 4): an SMS code to the reserved
    phone, asked for and spent from the owner's own address."""
    owner = client.session_from("127.0.0.31")
    asked = owner.post(
        f"{url}/login/unlock-codes",
        json={"login_name": name, "phone": phone, **client.captcha(url, owner)},
        timeout=10,
    )
    if asked.status_code == 404:
        return ["no way for the owner to unlock (404 /login/unlock-codes)"]
    code = client.wait_for_sms(url, phone, UNLOCK_CODE, session=owner)
    unlocked = owner.post(
        f"{url}/login/unlock",
        json={"login_name": name, "phone": phone, "sms_code": code},
        timeout=10,
    )
    relocked = []
    for _ in range(5):
        answer = client.log_in(url, name, "Wrong-passw0rd!", **client.captcha(url))
        relocked.append(answer.status_code)
    owner_in = client.log_in(url, name, gen.PASSWORD, session=owner)
    return [
        f"the owner asks for an unlock code: {answer_code(asked)}; unlocks with it: "
        f"{answer_code(unlocked)}",
        f"locked again by the attacker ({relocked[-1]}); the owner's address then logs "
        f"in: {answer_code(owner_in)}",
    ]


PARTS = {
    "registration": registration,
    "appeal": appeal,
    "headers": headers,
    "names": names,
    "lockout": lockout,
}


def run(url: str, only: list[str]) -> None:
    url = url.rstrip("/")
    requests.get(f"{url}/health", timeout=5).raise_for_status()
    for part in only:
        print(f"\n== {part}", flush=True)
        for line in PARTS[part](url):
            print(f"   {line}", flush=True)


def main() -> int:
    parser = stack_command(__doc__, PARTS, "parts")
    args = parser.parse_args()
    only = chosen(parser, args.only, PARTS, "parts")
    print(
        f"probe {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} CPUs"
    )
    if args.fresh:
        from tests.support.stack import isolated_stack

        with isolated_stack("probe-", **DEPLOYMENT_QUOTAS) as stack:
            run(stack.url, only)
    else:
        run(args.url, only)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
