"""What a caller of otp sees, over HTTP (the gateway) and over RPC (services)."""

from __future__ import annotations

import itertools
import random
import re
import signal
from urllib.parse import quote

import pytest
import requests
from contracts.phones import PhoneInvalid, normalize_phone
from gateway.rpc import RpcPool

from tests.support.isolation import RABBIT_API
from tests.support.waiting import wait_for

_phones = random.Random()


def random_phone() -> str:
    """A generated mainland mobile number (never a real person's on purpose)."""
    while True:
        candidate = f"+86139{_phones.randrange(10**8):08d}"
        try:
            return normalize_phone(candidate)
        except PhoneInvalid:
            continue


def random_ip() -> str:
    """An address from 198.18.0.0/15, the range reserved for benchmarks."""
    return f"198.{_phones.randrange(18, 20)}.{_phones.randrange(256)}.{_phones.randrange(1, 255)}"


CODE = re.compile(r"验证码为(\d{6})")


class OtpCalls:
    def __init__(self, url: str, amqp_uri: str):
        self.url = url
        self.rpc = RpcPool(amqp_uri, timeout=5)

    # over HTTP, as a browser would
    def new_captcha(self) -> tuple[str, str]:
        created = requests.post(f"{self.url}/captchas", timeout=10)
        assert created.status_code == 201, created.text
        captcha_id = created.json()["captcha_id"]
        answer = requests.get(f"{self.url}/dev/captchas/{captcha_id}", timeout=10)
        assert answer.status_code == 200, answer.text
        return captcha_id, answer.json()["answer"]

    def send_http(self, phone: str, purpose: str = "register_person", **body):
        if "captcha_id" not in body:
            body["captcha_id"], body["captcha_answer"] = self.new_captcha()
        return requests.post(
            f"{self.url}/sms-codes",
            json={"phone": phone, "purpose": purpose, **body},
            timeout=10,
        )

    def outbox(self, phone: str) -> list[dict]:
        answer = requests.get(
            f"{self.url}/dev/sms-outbox", params={"phone": phone}, timeout=10
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["messages"]

    def wait_code(self, phone: str, count: int = 1, timeout: float = 15) -> str:
        messages = wait_for(
            lambda: (m := self.outbox(phone)) and len(m) >= count and m,
            timeout=timeout,
            what=f"{count} SMS to {phone}",
        )
        return CODE.search(messages[0]["text"]).group(1)

    # over RPC, as another service would
    def send_rpc(
        self, phone: str, purpose: str = "register_person", client_ip: str | None = None
    ) -> dict:
        captcha = self.rpc.call("otp", "create_captcha")
        answer = self.rpc.call(
            "otp", "get_captcha_answer", captcha_id=captcha["captcha_id"]
        )
        return self.rpc.call(
            "otp",
            "send_sms_code",
            phone=phone,
            purpose=purpose,
            captcha_id=captcha["captcha_id"],
            captcha_answer=answer["answer"],
            client_ip=client_ip or random_ip(),
        )

    def verify(self, phone: str, code: str, purpose: str = "register_person") -> None:
        return self.rpc.call(
            "otp", "verify_sms_code", phone=phone, purpose=purpose, code=code
        )

    def otp_answers(self) -> bool:
        answer = self.rpc.call("otp", "ping", timeout=2)
        return bool(answer["ok"])


def rpc_consumers(isolation) -> int:
    """How many otp processes consume its RPC queue (RabbitMQ management API)."""
    vhost = quote(isolation.vhost, safe="")
    answer = requests.get(f"{RABBIT_API}/queues/{vhost}/rpc-otp", timeout=5)
    answer.raise_for_status()
    return answer.json().get("consumers", 0)


@pytest.fixture
def calls(live_stack):
    calls = OtpCalls(live_stack.url, live_stack.isolation.amqp_uri)
    yield calls
    calls.rpc.close()


@pytest.fixture
def otp_copy(live_stack, calls):
    """Start an otp copy with extra settings; by default it replaces the others.

    Afterwards the extra copies stop and the stack's own otp runs again.
    """
    numbers = itertools.count(1)

    def start(replace: bool = True, **env: str) -> int:
        copy = next(numbers)
        live_stack.start("otp", copy=copy, **env)
        if replace:
            for key in [
                k for k in live_stack.processes if k[0] == "otp" and k[1] != copy
            ]:
                live_stack.kill(*key, sig=signal.SIGTERM)
        running = sum(1 for k in live_stack.processes if k[0] == "otp")
        wait_for(
            lambda: rpc_consumers(live_stack.isolation) == running,
            timeout=30,
            interval=0.2,
            what=f"{running} otp copies to consume RPCs",
        )
        # consuming is not yet answering: a copy starting on a loaded machine
        # may take seconds more before its first RPC completes
        wait_for(calls.otp_answers, timeout=30, interval=0.2, what="otp to answer")
        return copy

    yield start
    for key in [k for k in live_stack.processes if k[0] == "otp" and k[1] > 0]:
        live_stack.kill(*key, sig=signal.SIGTERM)
    if not live_stack.is_running("otp"):
        live_stack.start("otp")
    live_stack.wait_ready()
