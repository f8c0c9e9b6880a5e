"""otp's dependency provider: settings, the Redis store, the keyring, the captcha
renderer, and the SMS delivery loops.

Following nameko's rules: nothing happens in ``__init__``; ``setup()`` reads the
container config (and refuses unsafe settings, so the service does not start);
``start()`` spawns the delivery loops as managed threads; ``stop()`` ends them.
"""

from __future__ import annotations

import logging
import time

import eventlet
from eventlet import tpool
from servicekit.publishing import EventPublisher
from servicekit.ratelimit import FixedWindows
from servicekit.redis import Redis
from servicekit.workloop import run_work_loop

from otp import captchas
from otp.delivery import DeliveryWorker, build_provider
from otp.handlers import Otp, Randomness
from otp.keyring import Keyring
from otp.settings import settings_from_config
from otp.store import RedisStore

_log = logging.getLogger("otp.delivery")

# the delivery loop's pause while Redis does not answer: 0.5 s doubling up to 10 s
LOOP_RETRY_BASE = 0.5
LOOP_RETRY_CAP = 10.0


def render_captcha_off_hub(text: str) -> bytes:
    """Drawing a captcha is CPU work (about 9 ms): do it in an OS thread so the
    other workers of this process keep running meanwhile."""
    return tpool.execute(captchas.render_png, text)


class OtpRuntime(Redis):
    """Config: everything ``otp.settings`` reads, plus ``REDIS_URL``,
    ``REDIS_KEY_PREFIX`` and ``AMQP_URI``. Workers get an :class:`Otp`."""

    def setup(self):
        super().setup()
        config = self.container.config
        self.settings = settings_from_config(config)
        self.keyring = Keyring(self.settings.hmac_key)
        self.store = RedisStore(self.keyspace)
        self.random = Randomness()
        self.windows = FixedWindows(self.keyspace, "otp:quota")
        self.publisher = None
        self.worker = None
        self._running = False
        if self.settings.sms_workers > 0:
            self.publisher = EventPublisher(
                config["AMQP_URI"], self.container.service_name, config
            )
            provider = build_provider(
                self.settings, self.store, self.keyring, time.time, _log
            )
            self.worker = DeliveryWorker(
                self.store,
                provider,
                self.publisher,
                self.keyring,
                self.settings,
                time.time,
                _log,
            )
        _log.info(
            "otp configured",
            extra={
                "environment": self.settings.environment,
                "sms_provider": self.settings.sms_provider,
                "sms_workers": self.settings.sms_workers,
                "limits": vars(self.settings.limits),
            },
        )

    def start(self):
        if self.worker is None:
            return
        self._running = True
        for _ in range(self.settings.sms_workers):
            self.container.spawn_managed_thread(self._deliver_forever)

    def stop(self):
        self._running = False
        if self.publisher is not None:
            self.publisher.close()
        super().stop()

    kill = stop

    def _deliver_forever(self) -> None:
        run_work_loop(
            self.worker.run_once,
            should_stop=lambda: not self._running,
            idle_wait=self.store.wait_for_work,
            idle_seconds=1.0,
            retry_base=LOOP_RETRY_BASE,
            retry_cap=LOOP_RETRY_CAP,
            logger=_log,
            name="delivery loop",
            pause=eventlet.sleep,
        )

    def get_dependency(self, worker_ctx) -> Otp:
        return Otp(
            settings=self.settings,
            store=self.store,
            keyring=self.keyring,
            clock=time.time,
            random=self.random,
            render_captcha=render_captcha_off_hub,
            correlation_id=worker_ctx.data.get("correlation_id"),
            windows=self.windows,
        )

    def ping(self) -> bool:
        return self.store.ping()
