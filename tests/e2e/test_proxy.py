"""The buffering reverse proxy in front of the gateway (issue 12, finding 5).

A gateway copy with one worker of one thread (the smallest pool, so one held
thread is the whole gateway) runs behind a private nginx started with the
deployment's config (``deploy/nginx/gateway-proxy.conf.template``, see
tests/support/proxy.py). A client that dribbles its body over seconds holds that
thread when it talks to gunicorn directly; through the proxy it holds only an
nginx connection, and everyone else is answered at once. The proxy's
``X-Forwarded-For`` is believed (``TRUSTED_PROXIES``), so per-client quotas count
the real client, not the proxy; and nginx's own refusals are the gateway's
problem+json.

    .venv/bin/python -m pytest tests/e2e/test_proxy.py -s -k slow   # prints the figures
"""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from tests.support.isolation import free_port
from tests.support.proxy import nginx_proxy
from tests.support.raw_http import (
    chunked,
    connect,
    dribble,
    exchange,
    read_answer,
    request_head,
)
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

COPY = 1  # the gateway copy this module starts beside the stack's own
DRIBBLE_SECONDS = 4.0
CAPTCHAS_PER_MINUTE = 3


@pytest.fixture(scope="module")
def gateway_port(stack):
    stack.start_stopped()
    port = free_port()
    stack.start(
        "gateway",
        COPY,
        GATEWAY_BIND=f"127.0.0.1:{port}",
        GATEWAY_WORKERS="1",
        GATEWAY_THREADS="1",
        TRUSTED_PROXIES="127.0.0.1",
        CAPTCHAS_PER_MINUTE=str(CAPTCHAS_PER_MINUTE),
    )
    try:
        wait_for(
            lambda: (
                requests.get(
                    f"http://127.0.0.1:{port}/api/v1/health", timeout=2
                ).status_code
                == 200
            ),
            timeout=60,
            what="the one-thread gateway copy",
        )
        yield port
    finally:
        if stack.is_running("gateway", COPY):
            stack.kill("gateway", COPY, sig=15)


@pytest.fixture(scope="module")
def proxy(gateway_port):
    with nginx_proxy(gateway_port) as proxy:
        yield proxy


# --- slow clients ----------------------------------------------------------------------


def slow_request(port: int, started: threading.Event, result: dict) -> None:
    """POST a small JSON body a byte at a time over DRIBBLE_SECONDS; ``started``
    is set once a quarter of it is sent (the request is surely being read)."""
    body = json.dumps({"password": "correct-horse-battery", "login_name": "slow"})
    body = body.encode()
    head = request_head(
        "POST",
        "/api/v1/password-strength",
        {"Content-Type": "application/json", "Content-Length": str(len(body))},
    )
    began = time.monotonic()
    quarter = len(body) // 4
    with connect(port) as sock:
        sock.sendall(head)
        dribble(sock, body[:quarter], DRIBBLE_SECONDS / 4)
        started.set()
        dribble(sock, body[quarter:], DRIBBLE_SECONDS * 3 / 4)
        result["answer"] = read_answer(sock)
    result["seconds"] = time.monotonic() - began


def latency_beside_a_slow_client(port: int) -> tuple[float, float]:
    """(seconds a normal request took while a slow client was sending, seconds
    the slow client took), both against ``port``."""
    started, result = threading.Event(), {}
    slow = threading.Thread(target=slow_request, args=(port, started, result))
    slow.start()
    try:
        assert started.wait(timeout=DRIBBLE_SECONDS * 3)
        began = time.monotonic()
        normal = requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=60)
        latency = time.monotonic() - began
        assert normal.status_code == 200
    finally:
        slow.join(timeout=60)
    assert result["answer"].status == 200, result["answer"]
    assert result["answer"].json()["strength"] in ("weak", "medium", "strong")
    return latency, result["seconds"]


def test_a_slow_client_does_not_hold_the_gateway_behind_the_proxy(gateway_port, proxy):
    proxied, slow_proxied = latency_beside_a_slow_client(proxy.port)
    direct, slow_direct = latency_beside_a_slow_client(gateway_port)
    print(
        f"\nnormal request beside a slow client ({DRIBBLE_SECONDS:.0f} s body), "
        f"gateway 1 worker x 1 thread: direct to gunicorn {direct:.3f} s "
        f"(slow client {slow_direct:.2f} s), through nginx {proxied:.3f} s "
        f"(slow client {slow_proxied:.2f} s)"
    )
    # Without the proxy the one thread is held until the body is complete (the
    # premise: this gateway copy really has no other thread) ...
    assert direct >= 0.5 * DRIBBLE_SECONDS
    # ... behind it, the normal request does not wait for the slow one.
    assert proxied <= 0.25 * slow_proxied


# --- the client's address ---------------------------------------------------------------


def new_captcha(port: int, source: str, forwarded_for: str | None = None) -> int:
    headers = {"Content-Length": "0"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    head = request_head("POST", "/api/v1/captchas", headers)
    return exchange(port, head, source=source).status


def test_quotas_count_the_client_behind_the_proxy_not_the_proxy(proxy):
    """Clients on 127.0.0.5 and 127.0.0.6 reach nginx, which reaches the gateway
    from 127.0.0.1 (its trusted proxy)."""
    first = [new_captcha(proxy.port, "127.0.0.5") for _ in range(CAPTCHAS_PER_MINUTE)]
    assert first == [201] * CAPTCHAS_PER_MINUTE
    assert new_captcha(proxy.port, "127.0.0.5") == 429
    # a forged header does not buy a fresh quota: nginx appends the real address
    assert new_captcha(proxy.port, "127.0.0.5", forwarded_for="192.0.2.44") == 429
    # another client behind the same proxy has its own quota
    assert new_captcha(proxy.port, "127.0.0.6") == 201


# --- what passes through, and nginx's own answers ---------------------------------------


def test_the_request_id_passes_through(proxy):
    answer = requests.get(
        f"{proxy.url}/health", headers={"X-Request-ID": "proxy-test-0001"}, timeout=10
    )
    assert answer.headers["X-Request-ID"] == "proxy-test-0001"
    minted = requests.get(f"{proxy.url}/health", timeout=10).headers["X-Request-ID"]
    assert len(minted) == 32


def test_a_chunked_body_arrives_through_the_proxy(proxy):
    body = json.dumps({"password": "abc", "login_name": "chunky"}).encode()
    head = request_head(
        "POST",
        "/api/v1/password-strength",
        {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
    )
    answer = exchange(proxy.port, head + chunked(body, size=7))
    assert answer.status == 200, answer
    assert answer.json()["strength"] == "weak"


def assert_proxy_problem(answer, status: int, code: str) -> None:
    assert answer.status == status, answer
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"
    body = answer.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["request_id"] == answer.headers["x-request-id"]


def test_a_body_over_the_upload_limit_is_refused_by_the_proxy(proxy):
    head = request_head(
        "POST",
        "/api/v1/recovery/appeals/person",
        {
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": "5000000",
        },
    )
    assert_proxy_problem(exchange(proxy.port, head), 413, "body_too_large")


def test_an_over_long_request_line_is_refused_by_the_proxy(proxy):
    head = request_head("GET", "/api/v1/health?pad=" + "a" * 9000, {})
    assert_proxy_problem(exchange(proxy.port, head), 414, "uri_too_long")
