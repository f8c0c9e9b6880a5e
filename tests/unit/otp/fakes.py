"""Fakes for otp's collaborators: a store, a clock, randomness, a publisher.

``FakeStore`` keeps the same semantics as the Redis store (the store contract
test runs the same assertions against both), in plain dictionaries.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from otp.handlers import Otp, Randomness
from otp.keyring import Keyring
from otp.settings import OtpSettings
from otp.store import DAY_MS, HOUR_MS, Admission, CodeCheck, Job, OtpStore, SendRequest


class FakeClock:
    def __init__(self, start: float = 1_760_000_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeRandom(Randomness):
    """Codes and captcha texts from queues the test fills; ids that count up."""

    def __init__(self):
        self.codes: list[str] = []
        self.captchas: list[str] = []
        self._ids = itertools.count(1)

    def code(self, digits: int) -> str:
        return self.codes.pop(0) if self.codes else "123456"

    def captcha_text(self, alphabet: str, length: int) -> str:
        return self.captchas.pop(0) if self.captchas else "ACEFG"[:length]

    def token(self) -> str:
        return f"captcha-{next(self._ids):08d}-xxxxxxxx"

    def message_id(self) -> str:
        return f"msg{next(self._ids):08d}"


class FakePublisher:
    def __init__(self):
        self.events: list[tuple[str, dict, str | None]] = []
        self.failures = 0

    def publish(self, event, correlation_id):
        """Keeps what the AMQP publisher would send: the type and the dumped model."""
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker down")
        self.events.append((event.event_type, event.dump(), correlation_id))


class FakeStore(OtpStore):
    def __init__(self):
        self.epoch = 1
        self.captchas: dict[str, tuple[int, int, str]] = {}  # id -> epoch, exp, mac
        self.dev_answers: dict[str, str] = {}
        self.cooldowns: dict[tuple[str, str], int] = {}
        self.phone_log: dict[str, list[int]] = {}
        self.client_log: dict[str, list[int]] = {}
        self.global_counts: dict[str, int] = {}
        self.codes: dict[tuple[str, str], dict] = {}
        self.jobs: dict[str, Job] = {}
        self.due: dict[str, int] = {}
        self.dedupe: dict[str, str] = {}
        self.outbox: dict[str, list[dict]] = {}
        self.outbox_seen: set[str] = set()
        self.down = False

    def _check_up(self):
        if self.down:
            from contracts.errors import Unavailable

            raise Unavailable("store_unavailable", "down", {"retry_after": 5})

    def restart(self, keep_data: bool = False) -> None:
        """A Redis restart: a new run id; data kept only as a snapshot would."""
        epoch = self.epoch + 1
        if not keep_data:
            self.__init__()
        self.epoch = epoch

    def put_captcha(self, captcha_id, mac, ttl_ms, now_ms, dev_answer):
        self._check_up()
        self.captchas[captcha_id] = (self.epoch, now_ms + ttl_ms, mac)
        if dev_answer:
            self.dev_answers[captcha_id] = dev_answer

    def take_captcha(self, captcha_id, now_ms):
        self._check_up()
        record = self.captchas.pop(captcha_id, None)
        self.dev_answers.pop(captcha_id, None)
        if record is None or record[0] != self.epoch or record[1] <= now_ms:
            return None
        return record[2]

    def captcha_answer(self, captcha_id, now_ms):
        self._check_up()
        return self.dev_answers.get(captcha_id)

    @staticmethod
    def _window_wait(entries: list[int], now: int, span: int, limit: int) -> int:
        inside = sorted(t for t in entries if t > now - span)
        if len(inside) < limit:
            return 0
        return inside[len(inside) - limit] + span - now

    def admit_code(self, request: SendRequest) -> Admission:
        self._check_up()
        now, limits = request.now_ms, request.limits
        phone = [
            t for t in self.phone_log.get(request.phone_ref, []) if t > now - DAY_MS
        ]
        client = [
            t for t in self.client_log.get(request.client_ref, []) if t > now - HOUR_MS
        ]
        waits = [
            self.cooldowns.get((request.purpose, request.phone_ref), 0) - now,
            self._window_wait(phone, now, HOUR_MS, limits.phone_per_hour),
            self._window_wait(phone, now, DAY_MS, limits.phone_per_day),
            self._window_wait(client, now, HOUR_MS, limits.client_per_hour),
        ]
        if self.global_counts.get(request.global_bucket, 0) >= limits.global_per_day:
            waits.append(request.global_reset_ms)
        wait = max(waits)
        if wait > 0:
            return Admission(False, wait)
        if limits.cooldown:
            self.cooldowns[(request.purpose, request.phone_ref)] = (
                now + limits.cooldown * 1000
            )
        self.phone_log[request.phone_ref] = [*phone, now]
        self.client_log[request.client_ref] = [*client, now]
        bucket = request.global_bucket
        self.global_counts[bucket] = self.global_counts.get(bucket, 0) + 1
        self.codes[(request.purpose, request.phone_ref)] = {
            "mac": request.code_mac,
            "tries": 0,
            "exp": now + request.code_ttl_ms,
            "epoch": self.epoch,
        }
        self.jobs[request.job.message_id] = request.job
        self.due[request.job.message_id] = now
        return Admission(True, 0)

    def verify_code(self, phone_ref, purpose, mac, max_tries, now_ms):
        self._check_up()
        key = (purpose, phone_ref)
        record = self.codes.get(key)
        if record is None:
            return CodeCheck("dead")
        if record["exp"] <= now_ms or record["epoch"] != self.epoch:
            del self.codes[key]
            return CodeCheck("dead")
        record["tries"] += 1
        if record["tries"] > max_tries:
            del self.codes[key]
            return CodeCheck("dead")
        if record["mac"] == mac:
            del self.codes[key]
            return CodeCheck("accepted")
        if record["tries"] >= max_tries:
            del self.codes[key]
        return CodeCheck("wrong", max_tries - record["tries"])

    def enqueue_notice(self, job, dedupe_ref, dedupe_ttl_ms):
        self._check_up()
        if dedupe_ref is not None:
            if dedupe_ref in self.dedupe:
                return self.dedupe[dedupe_ref]
            self.dedupe[dedupe_ref] = job.message_id
        self.jobs[job.message_id] = job
        self.due[job.message_id] = job.created_ms
        return job.message_id

    def claim_job(self, now_ms, lease_ms):
        self._check_up()
        for message_id, due in sorted(self.due.items(), key=lambda item: item[1]):
            if due <= now_ms and message_id in self.jobs:
                job = self.jobs[message_id]
                job = replace(job, attempts=job.attempts + 1)
                self.jobs[message_id] = job
                self.due[message_id] = now_ms + lease_ms
                return job
        return None

    def retry_job(self, message_id, due_ms):
        if message_id in self.due:
            self.due[message_id] = due_ms

    def mark_delivered(self, message_id):
        self.jobs[message_id] = replace(self.jobs[message_id], delivered=True)

    def finish_job(self, message_id):
        self.jobs.pop(message_id, None)
        self.due.pop(message_id, None)

    def outbox_add(self, phone_ref, record, keep, ttl_ms):
        if record["message_id"] in self.outbox_seen:
            return False
        self.outbox_seen.add(record["message_id"])
        self.outbox[phone_ref] = [record, *self.outbox.get(phone_ref, [])][:keep]
        return True

    def outbox_read(self, phone_ref):
        return list(self.outbox.get(phone_ref, []))

    def wait_for_work(self, timeout):
        return None

    def ping(self):
        return not self.down


def make_otp(
    settings: OtpSettings | None = None,
    store: OtpStore | None = None,
    clock: FakeClock | None = None,
    random: FakeRandom | None = None,
) -> Otp:
    settings = settings or OtpSettings(environment="test")
    return Otp(
        settings=settings,
        store=store if store is not None else FakeStore(),
        keyring=Keyring(settings.hmac_key),
        clock=clock or FakeClock(),
        random=random or FakeRandom(),
        render_captcha=lambda text: b"\x89PNG fake " + text.encode(),
        correlation_id="corr-test-0001",
    )
