"""SMS delivery: the carrier interface, the shipped providers, and the worker that
turns queued jobs into sent messages with retry and back-off.

Sending is a durable work item, never a call a user's request waits on: the send
RPC only queues a job in Redis (in the same atomic step that admits it), and
delivery loops in every otp copy claim due jobs with a lease. A copy that dies
mid-delivery leaves the lease to expire and another copy takes the job; a
carrier outage reschedules the job with exponential back-off. Delivery is
therefore at-least-once; the message id goes to the carrier so it can drop a
repeat.

To plug in a real carrier: subclass :class:`SmsProvider`, implement ``send``
(raise :class:`DeliveryFailed` with ``retryable`` set truthfully), and add it to
:func:`build_provider` and ``sms_provider`` in ``otp.settings``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from contracts.masking import mask_phone
from contracts.otp import SmsSent
from servicekit.workloop import backoff

from otp.keyring import Keyring
from otp.settings import OtpSettings
from otp.store import Job, OtpStore


@dataclass(frozen=True)
class SmsMessage:
    message_id: str  # stable across retries: a carrier may use it to drop repeats
    phone: str  # E.164
    text: str
    attempt: int  # 1 for the first try


class DeliveryFailed(Exception):
    """The carrier did not take the message. ``retryable=False`` means trying again
    cannot help (e.g. the carrier rejects the number): the job is dropped."""

    def __init__(self, reason: str, retryable: bool = True):
        super().__init__(reason)
        self.retryable = retryable


class SmsProvider:
    """What a carrier adapter implements."""

    name = "abstract"

    def send(self, message: SmsMessage) -> None:
        """Hand ``message`` to the carrier; return once the carrier accepted it.

        Raises :class:`DeliveryFailed`. Must not block longer than the job lease
        (``SMS_LEASE``), or a second copy may send the same message again.
        """
        raise NotImplementedError


@dataclass
class OutboxProvider(SmsProvider):
    """Dev/test: keeps each message in Redis, readable through ``read_sms_outbox``.

    ``failures`` simulates a carrier outage: the first ``failures`` attempts of
    every message fail (retryable), to exercise retries end to end.
    """

    name = "outbox"

    store: OtpStore
    keyring: Keyring
    keep: int
    ttl_ms: int
    clock: Callable[[], float]
    failures: int = 0

    def send(self, message: SmsMessage) -> None:
        if message.attempt <= self.failures:
            raise DeliveryFailed(f"simulated outage (attempt {message.attempt})")
        self.store.outbox_add(
            self.keyring.phone_ref(message.phone),
            {
                "message_id": message.message_id,
                "phone": message.phone,
                "text": message.text,
                "attempt": message.attempt,
                "sent_at": datetime.fromtimestamp(self.clock(), UTC).isoformat(),
            },
            self.keep,
            self.ttl_ms,
        )


class LogProvider(SmsProvider):
    """Writes one log line per message instead of sending it. The text (which
    holds the code or password) is logged only where ``include_text`` is set,
    which the service does in dev/test only."""

    name = "log"

    def __init__(self, logger: logging.Logger, include_text: bool):
        self.logger = logger
        self.include_text = include_text

    def send(self, message: SmsMessage) -> None:
        extra = {
            "message_id": message.message_id,
            "phone_masked": mask_phone(message.phone),
            "attempt": message.attempt,
            "length": len(message.text),
        }
        if self.include_text:
            extra["text"] = message.text
        self.logger.info("sms handed to the log provider", extra=extra)


def build_provider(
    settings: OtpSettings,
    store: OtpStore,
    keyring: Keyring,
    clock: Callable[[], float],
    logger: logging.Logger,
) -> SmsProvider:
    if settings.sms_provider == "outbox":
        return OutboxProvider(
            store,
            keyring,
            settings.outbox_keep,
            settings.outbox_ttl * 1000,
            clock,
            settings.outbox_failures,
        )
    if settings.sms_provider == "log":
        return LogProvider(logger, include_text=settings.dev_helpers)
    raise ValueError(f"no provider {settings.sms_provider!r}")


class Publisher(Protocol):
    """Publishes otp's events (:class:`contracts.otp.SmsSent`): the model is the
    payload, so what leaves otp is what its contract declares. The service passes
    servicekit's ``EventPublisher`` (the outbox relay's); tests a fake."""

    def publish(self, event: SmsSent, correlation_id: str | None) -> None: ...


def backoff_ms(attempt: int, base: float, cap: float, rand: Callable[[], float]) -> int:
    """servicekit's one back-off formula, in the milliseconds the job store keeps."""
    return int(1000 * backoff(attempt, base, cap, rand))


class DeliveryWorker:
    """Claims one due job at a time and carries it one step further."""

    def __init__(
        self,
        store: OtpStore,
        provider: SmsProvider,
        publisher: Publisher,
        keyring: Keyring,
        settings: OtpSettings,
        clock: Callable[[], float],
        logger: logging.Logger,
        rand: Callable[[], float] = random.random,
    ):
        self.store = store
        self.provider = provider
        self.publisher = publisher
        self.keyring = keyring
        self.settings = settings
        self.clock = clock
        self.log = logger
        self.rand = rand

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def run_once(self) -> bool:
        """Process one due job; False when none was due."""
        now = self._now_ms()
        job = self.store.claim_job(now, self.settings.sms_lease * 1000)
        if job is None:
            return False
        fields = {"message_id": job.message_id, "kind": job.kind, "topic": job.topic}
        if not job.delivered:
            if now >= job.expires_ms:
                # A code past its validity is worthless to the user: drop it.
                self.store.finish_job(job.message_id)
                self.log.warning("sms dropped undelivered: expired", extra=fields)
                return True
            if not self._deliver(job, now, fields):
                return True
        try:
            self.publisher.publish(
                SmsSent(
                    message_id=job.message_id,
                    kind=job.kind,
                    provider=self.provider.name,
                    attempts=job.attempts,
                    **{job_topic_name(job): job.topic},
                ),
                job.correlation_id,
            )
        except Exception as exc:  # noqa: BLE001 - the job stays; the event follows later
            self.log.warning(
                "sms_sent not published; will retry: %s", exc, extra=fields
            )
            self.store.retry_job(
                job.message_id, now + backoff_ms(1, 1.0, 30, self.rand)
            )
            return True
        self.store.finish_job(job.message_id)
        return True

    def _deliver(self, job: Job, now: int, fields: dict) -> bool:
        try:
            payload = self.keyring.unseal(job.sealed, job.message_id)
        except Exception:  # noqa: BLE001 - sealed under another key: cannot ever send
            self.store.finish_job(job.message_id)
            self.log.error("sms abandoned: cannot unseal (key changed?)", extra=fields)
            return False
        message = SmsMessage(
            job.message_id, payload["phone"], payload["text"], job.attempts
        )
        try:
            self.provider.send(message)
        except Exception as exc:  # noqa: BLE001 - an adapter bug is retried like an outage
            retryable = getattr(exc, "retryable", True)
            if not retryable or job.attempts >= self.settings.sms_max_attempts:
                self.store.finish_job(job.message_id)
                self.log.error(
                    "sms abandoned: %s", exc, extra={**fields, "attempts": job.attempts}
                )
                return False
            delay = backoff_ms(
                job.attempts,
                self.settings.sms_retry_base,
                self.settings.sms_retry_max,
                self.rand,
            )
            self.store.retry_job(job.message_id, now + delay)
            self.log.warning(
                "sms delivery failed; retrying in %d ms: %s",
                delay,
                exc,
                extra={**fields, "attempts": job.attempts},
            )
            return False
        self.store.mark_delivered(job.message_id)
        self.log.info(
            "sms delivered",
            extra={**fields, "attempts": job.attempts, "provider": self.provider.name},
        )
        return True


def job_topic_name(job: Job) -> str:
    return "purpose" if job.kind == "code" else "template"
