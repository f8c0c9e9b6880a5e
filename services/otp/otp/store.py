"""Everything otp keeps, behind one interface: :class:`OtpStore`.

The real store is Redis (:class:`RedisStore`); each operation that must be exact
under concurrency (admit a send against every quota and record it, verify and
consume a code, take a captcha, claim a delivery job) is one Lua script, so any
number of otp copies can run at once. Unit tests use a fake that subclasses the
interface; ``tests/integration/otp/test_store_contract.py`` runs the same
assertions against both, which keeps the fake honest.

Time is always passed in (``now_ms``) rather than read from Redis, so handlers can
be tested with a fake clock; Redis expiry only cleans up behind the logical
expiry stored in each record.

**Redis restarts.** Every code and captcha record carries the ``run_id`` of the
Redis process that stored it, and is honoured only by that same process. A
restart (or a failover, or a restore from a snapshot taken before a code was
spent) therefore kills every code in flight: users ask again, and a spent code
can never come back to life. Delivery jobs are not bound to the run id, so a
Redis with persistence keeps queued notices across a restart.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass

import redis
from contracts.errors import Unavailable

from otp import lua
from otp.settings import Limits

HOUR_MS = 3_600_000
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Job:
    """A queued SMS. ``sealed`` holds phone and text, encrypted (see keyring)."""

    message_id: str
    kind: str  # "code" or "notice"
    topic: str  # the code's purpose or the notice's template
    sealed: str
    correlation_id: str | None
    created_ms: int
    expires_ms: int  # after this the message is useless and dropped undelivered
    attempts: int = 0  # claims so far, this one included
    delivered: bool = False  # the carrier took it; only the event is left to emit


@dataclass(frozen=True)
class SendRequest:
    """One send to admit against every quota and, if admitted, record at once."""

    phone_ref: str
    purpose: str
    client_ref: str
    code_mac: str
    code_ttl_ms: int
    now_ms: int
    limits: Limits
    global_reset_ms: int  # ms until the global daily counter starts again
    global_bucket: str
    job: Job


@dataclass(frozen=True)
class Admission:
    accepted: bool
    retry_after_ms: int = 0


@dataclass(frozen=True)
class CodeCheck:
    outcome: str  # "accepted", "wrong" or "dead" (expired, spent, burnt, never sent)
    tries_left: int = 0


class OtpStore:
    """The operations otp needs from its store. Raises ``Unavailable`` when down."""

    def put_captcha(
        self,
        captcha_id: str,
        mac: str,
        ttl_ms: int,
        now_ms: int,
        dev_answer: str | None,
    ) -> None:
        """Keep a captcha's answer hash (and, in dev/test only, the answer)."""
        raise NotImplementedError

    def take_captcha(self, captcha_id: str, now_ms: int) -> str | None:
        """The answer hash, removed in the same step; None if missing or expired."""
        raise NotImplementedError

    def captcha_answer(self, captcha_id: str, now_ms: int) -> str | None:
        """Dev/test only: the answer kept beside the hash; None if there is none."""
        raise NotImplementedError

    def admit_code(self, request: SendRequest) -> Admission:
        """Check cooldown, phone, client and global quotas; if all allow it, record
        the send, replace the phone's code for that purpose and queue the job, all
        at once. Otherwise change nothing and say how long until every limit that
        bit allows a send again."""
        raise NotImplementedError

    def verify_code(
        self, phone_ref: str, purpose: str, mac: str, max_tries: int, now_ms: int
    ) -> CodeCheck:
        """Count the try, then compare; an accepted code is consumed in the same
        step, and a code whose tries are used up is deleted."""
        raise NotImplementedError

    def enqueue_notice(
        self, job: Job, dedupe_ref: str | None, dedupe_ttl_ms: int
    ) -> str:
        """Queue a notice; with ``dedupe_ref``, a repeat returns the first id."""
        raise NotImplementedError

    def claim_job(self, now_ms: int, lease_ms: int) -> Job | None:
        """Take one due job for ``lease_ms`` (then it is due again if not finished)."""
        raise NotImplementedError

    def retry_job(self, message_id: str, due_ms: int) -> None:
        raise NotImplementedError

    def mark_delivered(self, message_id: str) -> None:
        raise NotImplementedError

    def finish_job(self, message_id: str) -> None:
        raise NotImplementedError

    def outbox_add(self, phone_ref: str, record: dict, keep: int, ttl_ms: int) -> bool:
        """Keep a sent message for the dev outbox; False if that id is already in."""
        raise NotImplementedError

    def outbox_read(self, phone_ref: str) -> list[dict]:
        """The kept messages of one phone, newest first."""
        raise NotImplementedError

    def wait_for_work(self, timeout: float) -> None:
        """Block up to ``timeout`` seconds or until a job is queued."""
        raise NotImplementedError

    def ping(self) -> bool:
        raise NotImplementedError


# --- Redis -----------------------------------------------------------------------


def _unavailable_when_down(method):
    """A Redis outage is a 503 for the caller (``Unavailable``), never a 500."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except redis.RedisError as exc:
            raise Unavailable(
                "store_unavailable",
                f"otp cannot reach its store ({type(exc).__name__})",
                {"retry_after": 5},
            ) from None

    return wrapper


def _job_to_json(job: Job) -> str:
    # Every value as a string: Lua would print large numbers in exponent form.
    fields = asdict(job)
    fields["correlation_id"] = job.correlation_id or ""
    fields["delivered"] = int(job.delivered)
    return json.dumps({name: str(value) for name, value in fields.items()})


def _job_from_hash(values: dict[str, str]) -> Job:
    return Job(
        message_id=values["message_id"],
        kind=values["kind"],
        topic=values["topic"],
        sealed=values["sealed"],
        correlation_id=values.get("correlation_id") or None,
        created_ms=int(values["created_ms"]),
        expires_ms=int(values["expires_ms"]),
        attempts=int(values.get("attempts", 0)),
        delivered=values.get("delivered") == "1",
    )


class RedisStore(OtpStore):
    """Takes a ``servicekit.redis.Keyspace`` (client with ``decode_responses``)."""

    def __init__(self, keyspace):
        self.keyspace = keyspace
        client = keyspace.client
        self._put_captcha = client.register_script(lua.PUT_CAPTCHA)
        self._take_captcha = client.register_script(lua.TAKE_CAPTCHA)
        self._admit_code = client.register_script(lua.ADMIT_CODE)
        self._verify_code = client.register_script(lua.VERIFY_CODE)
        self._enqueue_notice = client.register_script(lua.ENQUEUE_NOTICE)
        self._claim_job = client.register_script(lua.CLAIM_JOB)
        self._outbox_add = client.register_script(lua.OUTBOX_ADD)

    def _key(self, *parts: str) -> str:
        return self.keyspace.key("otp", *parts)

    @property
    def _due(self) -> str:
        return self._key("jobs", "due")

    @property
    def _wake(self) -> str:
        return self._key("jobs", "wake")

    @_unavailable_when_down
    def put_captcha(self, captcha_id, mac, ttl_ms, now_ms, dev_answer):
        self._put_captcha(
            keys=[
                self._key("captcha", captcha_id),
                self._key("captcha-dev", captcha_id),
            ],
            args=[mac, now_ms, ttl_ms, dev_answer or ""],
        )

    @_unavailable_when_down
    def take_captcha(self, captcha_id, now_ms):
        mac = self._take_captcha(
            keys=[
                self._key("captcha", captcha_id),
                self._key("captcha-dev", captcha_id),
            ],
            args=[now_ms],
        )
        return mac or None

    @_unavailable_when_down
    def captcha_answer(self, captcha_id, now_ms):
        return self.keyspace.client.get(self._key("captcha-dev", captcha_id))

    @_unavailable_when_down
    def admit_code(self, request: SendRequest) -> Admission:
        limits = request.limits
        job = request.job
        accepted, wait = self._admit_code(
            keys=[
                self._key("cooldown", request.purpose, request.phone_ref),
                self._key("sent", "phone", request.phone_ref),
                self._key("sent", "client", request.client_ref),
                self._key("sent", "global", request.global_bucket),
                self._key("code", request.purpose, request.phone_ref),
                self._key("job", job.message_id),
                self._due,
                self._wake,
            ],
            args=[
                request.now_ms,
                limits.cooldown * 1000,
                limits.phone_per_hour,
                limits.phone_per_day,
                limits.client_per_hour,
                limits.global_per_day,
                request.global_reset_ms,
                job.message_id,
                request.code_mac,
                request.code_ttl_ms,
                _job_to_json(job),
            ],
        )
        return Admission(bool(accepted), int(wait))

    @_unavailable_when_down
    def verify_code(self, phone_ref, purpose, mac, max_tries, now_ms):
        outcome, left = self._verify_code(
            keys=[self._key("code", purpose, phone_ref)], args=[mac, max_tries, now_ms]
        )
        return CodeCheck(outcome, int(left))

    @_unavailable_when_down
    def enqueue_notice(self, job, dedupe_ref, dedupe_ttl_ms):
        return self._enqueue_notice(
            keys=[
                self._key("notice", dedupe_ref or "-"),
                self._key("job", job.message_id),
                self._due,
                self._wake,
            ],
            args=[
                "1" if dedupe_ref else "0",
                dedupe_ttl_ms,
                job.message_id,
                _job_to_json(job),
                job.created_ms,
            ],
        )

    @_unavailable_when_down
    def claim_job(self, now_ms, lease_ms):
        candidates = self.keyspace.client.zrangebyscore(
            self._due, "-inf", now_ms, start=0, num=5
        )
        for message_id in candidates:
            flat = self._claim_job(
                keys=[self._due, self._key("job", message_id)],
                args=[message_id, now_ms, lease_ms],
            )
            if flat:
                return _job_from_hash(dict(zip(flat[::2], flat[1::2], strict=True)))
        return None

    @_unavailable_when_down
    def retry_job(self, message_id, due_ms):
        self.keyspace.client.zadd(self._due, {message_id: due_ms}, xx=True)

    @_unavailable_when_down
    def mark_delivered(self, message_id):
        self.keyspace.client.hset(self._key("job", message_id), "delivered", "1")

    @_unavailable_when_down
    def finish_job(self, message_id):
        pipe = self.keyspace.client.pipeline(transaction=True)
        pipe.delete(self._key("job", message_id))
        pipe.zrem(self._due, message_id)
        pipe.execute()

    @_unavailable_when_down
    def outbox_add(self, phone_ref, record, keep, ttl_ms):
        return bool(
            self._outbox_add(
                keys=[
                    self._key("outbox-seen", record["message_id"]),
                    self._key("outbox", phone_ref),
                ],
                args=[json.dumps(record, ensure_ascii=False), keep, ttl_ms],
            )
        )

    @_unavailable_when_down
    def outbox_read(self, phone_ref):
        raw = self.keyspace.client.lrange(self._key("outbox", phone_ref), 0, -1)
        return [json.loads(item) for item in raw]

    @_unavailable_when_down
    def wait_for_work(self, timeout):
        self.keyspace.client.blpop([self._wake], timeout=timeout)

    def ping(self) -> bool:
        return self.keyspace.ping()
