"""Flood POST /sms-codes and report what the platform handled and what it sent.

    python bench/sms_flood.py --url http://127.0.0.1:8080/api/v1 --seconds 10

Needs a running stack in dev or test (the captcha answers and the SMS outbox are
read through the dev endpoints). Three phases, each ``--seconds`` long, each with
``--concurrency`` client threads, all from this one client address:

1. baseline: GET /health, the cheapest request the gateway serves;
2. one phone: every request asks a code for the same phone (cycling through the
   five purposes, so the per-phone hourly limit, not only the cooldown, bites);
3. many phones: every request asks a code for a new generated phone, so only the
   per-address cap (and the global ceiling) can stop it.

Every /sms-codes request carries a freshly solved captcha (POST /captchas, then
GET /dev/captchas/{id}): the figures are for the whole cycle a client must make.
It prints requests handled per second, the ratio to the baseline, the answers by
status, and the SMS actually delivered (counted in the dev outbox) against the
limits. The address cap is spent for an hour afterwards: use a fresh stack.
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
from collections import Counter

import requests

PURPOSES = (
    "register_person",
    "register_organization",
    "password_reset",
    "appeal",
    "change_phone",
)


def generated_phone(rng: random.Random) -> str:
    """A mainland mobile in a block reserved for tests here (never a real person's
    on purpose); the gateway validates it with phonenumbers like any other."""
    return f"1390{rng.randrange(10**7):07d}"


class Phase:
    def __init__(self, name: str):
        self.name = name
        self.statuses: Counter[int] = Counter()
        self.latencies: list[float] = []
        self.requests = 0  # every HTTP request made, captcha steps included
        self.lock = threading.Lock()
        self.phones_accepted: Counter[str] = Counter()
        self.elapsed = 0.0

    def record(self, status: int, latency: float, phone: str | None = None) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies.append(latency)
            if phone is not None and status == 202:
                self.phones_accepted[phone] += 1

    @property
    def handled(self) -> int:
        return sum(self.statuses.values())

    def rate(self) -> float:
        return self.handled / self.elapsed if self.elapsed else 0.0


def run_phase(phase: Phase, seconds: float, concurrency: int, step) -> Phase:
    deadline = time.monotonic() + seconds
    started = time.monotonic()

    def loop(worker: int) -> None:
        session = requests.Session()
        rng = random.Random(worker * 7919 + int(started))
        n = 0
        while time.monotonic() < deadline:
            step(session, rng, worker, n)
            n += 1
        session.close()

    threads = [threading.Thread(target=loop, args=(w,)) for w in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.elapsed = time.monotonic() - started
    return phase


def solve_captcha(session: requests.Session, url: str, phase: Phase) -> tuple[str, str]:
    created = session.post(f"{url}/captchas", timeout=10)
    created.raise_for_status()
    captcha_id = created.json()["captcha_id"]
    answer = session.get(f"{url}/dev/captchas/{captcha_id}", timeout=10)
    answer.raise_for_status()
    with phase.lock:
        phase.requests += 2
    return captcha_id, answer.json()["answer"]


def sms_step(url: str, phase: Phase, phone_for):
    def step(session, rng, worker, n):
        phone = phone_for(rng)
        try:
            captcha_id, answer = solve_captcha(session, url, phase)
        except requests.RequestException:
            phase.record(-1, 0.0)
            return
        began = time.perf_counter()
        try:
            response = session.post(
                f"{url}/sms-codes",
                json={
                    "phone": phone,
                    "purpose": PURPOSES[(worker + n) % len(PURPOSES)],
                    "captcha_id": captcha_id,
                    "captcha_answer": answer,
                },
                timeout=10,
            )
            status = response.status_code
        except requests.RequestException:
            status = -1
        with phase.lock:
            phase.requests += 1
        phase.record(status, time.perf_counter() - began, phone)

    return step


def outbox_count(url: str, phone: str) -> int:
    answer = requests.get(f"{url}/dev/sms-outbox", params={"phone": phone}, timeout=10)
    answer.raise_for_status()
    return len(answer.json()["messages"])


def delivered(url: str, phones: Counter[str], timeout: float = 30.0) -> int:
    """SMS found in the outbox for ``phones``, once delivery has caught up."""
    expected = sum(phones.values())
    deadline = time.monotonic() + timeout
    while True:
        found = sum(outbox_count(url, phone) for phone in phones)
        if found >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


def describe(phase: Phase, baseline: float | None) -> str:
    p50 = statistics.median(phase.latencies) * 1000 if phase.latencies else 0.0
    p99 = (
        sorted(phase.latencies)[int(len(phase.latencies) * 0.99) - 1] * 1000
        if len(phase.latencies) >= 100
        else max(phase.latencies, default=0.0) * 1000
    )
    line = (
        f"{phase.name:<12} {phase.handled:>6} handled in {phase.elapsed:5.1f} s = "
        f"{phase.rate():8.1f} req/s"
    )
    if baseline:
        line += f"  ({phase.rate() / baseline:6.3f} x baseline)"
    line += f"  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
    if phase.requests:
        line += (
            f"  [{phase.requests / phase.elapsed:6.1f} HTTP req/s with captcha steps]"
        )
    statuses = ", ".join(f"{s}: {c}" for s, c in sorted(phase.statuses.items()))
    return f"{line}\n{'':<13}answers by status: {statuses}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080/api/v1")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--phone-per-hour", type=int, default=5)
    parser.add_argument("--phone-per-day", type=int, default=10)
    parser.add_argument("--client-per-hour", type=int, default=30)
    args = parser.parse_args()
    url = args.url.rstrip("/")

    requests.get(f"{url}/health", timeout=5).raise_for_status()

    health = Phase("baseline")

    def health_step(session, rng, worker, n):
        began = time.perf_counter()
        try:
            status = session.get(f"{url}/health", timeout=10).status_code
        except requests.RequestException:
            status = -1
        health.record(status, time.perf_counter() - began)

    run_phase(health, args.seconds, args.concurrency, health_step)
    baseline = health.rate()

    target = generated_phone(random.Random(time.time_ns()))
    one = Phase("one phone")
    run_phase(
        one, args.seconds, args.concurrency, sms_step(url, one, lambda rng: target)
    )
    many = Phase("many phones")
    run_phase(
        many, args.seconds, args.concurrency, sms_step(url, many, generated_phone)
    )

    sent_one = delivered(url, one.phones_accepted or Counter({target: 0}))
    sent_many = delivered(url, many.phones_accepted)
    accepted_one = one.statuses[202]
    accepted_many = many.statuses[202]

    print(
        f"gateway {url}; {args.concurrency} client threads; {args.seconds:g} s a phase"
    )
    print(describe(health, None))
    print(describe(one, baseline))
    print(describe(many, baseline))
    print()
    print("SMS accepted (202) and delivered (in the dev outbox) against the limits:")
    print(
        f"  one phone   : {accepted_one} accepted, {sent_one} delivered"
        f" -- limit {args.phone_per_hour} per phone per hour"
        f" ({args.phone_per_day} per day), cooldown 60 s per purpose"
    )
    print(
        f"  many phones : {accepted_many} accepted to {len(many.phones_accepted)} phones,"
        f" {sent_many} delivered -- with the one-phone phase,"
        f" {accepted_one + accepted_many} from this address"
        f" (cap {args.client_per_hour} per address per hour)"
    )
    over = (accepted_one > args.phone_per_hour) or (
        accepted_one + accepted_many > args.client_per_hour
    )
    print("  verdict     :", "LIMIT EXCEEDED" if over else "every limit held")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
