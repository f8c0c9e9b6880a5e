"""The gateway's own per-client quotas, counted in the real Redis."""

from __future__ import annotations

import dataclasses
import json

import falcon.testing
import pytest
import redis
from gateway.app import create_app
from gateway.settings import Settings

from tests.support.isolation import REDIS_SERVER
from tests.unit.gateway.fakes import FakeRpc

pytestmark = pytest.mark.integration


def captcha_app(
    redis_client, prefix: str, per_minute: int
) -> falcon.testing.TestClient:
    rpc = FakeRpc(
        {
            ("otp", "create_captcha"): lambda: {
                "captcha_id": "c1",
                "image_png_base64": "iVBORw0KGgo=",
                "expires_in": 300,
            }
        }
    )
    settings = dataclasses.replace(
        Settings(environment="test"),
        redis_key_prefix=prefix,
        captchas_per_minute=per_minute,
    )
    return falcon.testing.TestClient(create_app(settings, rpc, redis_client))


def test_new_captchas_are_limited_per_client_address(isolation):
    client = captcha_app(
        redis.Redis.from_url(REDIS_SERVER), isolation.redis_prefix + "quota1:", 3
    )
    ok = [
        client.simulate_post("/api/v1/captchas", remote_addr="192.0.2.7")
        for _ in range(3)
    ]
    assert [r.status_code for r in ok] == [201, 201, 201]

    refused = client.simulate_post("/api/v1/captchas", remote_addr="192.0.2.7")
    assert refused.status_code == 429
    assert json.loads(refused.text)["code"] == "captcha_rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60

    other = client.simulate_post("/api/v1/captchas", remote_addr="192.0.2.8")
    assert other.status_code == 201


def test_the_quota_fails_open_when_redis_is_down(isolation):
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    client = captcha_app(dead, isolation.redis_prefix, 1)
    results = [client.simulate_post("/api/v1/captchas").status_code for _ in range(3)]
    assert results == [201, 201, 201]


def login_name_app(redis_client, prefix: str, **quotas) -> falcon.testing.TestClient:
    rpc = FakeRpc(
        {
            ("accounts", "check_login_name"): lambda login_name: {
                "login_name": login_name,
                "available": True,
            }
        }
    )
    settings = dataclasses.replace(
        Settings(environment="test"), redis_key_prefix=prefix, **quotas
    )
    return falcon.testing.TestClient(create_app(settings, rpc, redis_client))


def test_a_burst_of_login_name_checks_from_one_address_gets_429(isolation):
    client = login_name_app(
        redis.Redis.from_url(REDIS_SERVER),
        isolation.redis_prefix + "names1:",
        login_name_checks_per_hour=5,
    )
    answers = [
        client.simulate_get(
            f"/api/v1/login-names/probe_{i:04d}", remote_addr="192.0.2.7"
        )
        for i in range(8)
    ]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 3
    refused = answers[5]
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert json.loads(refused.text)["code"] == "login_name_check_rate_limited"
    assert 3590 < int(refused.headers["Retry-After"]) <= 3600
    # a malformed name counts too: a burst of them is no way around the quota
    assert (
        client.simulate_get("/api/v1/login-names/a-b", remote_addr="192.0.2.7")
    ).status_code == 429
    other = client.simulate_get(
        "/api/v1/login-names/probe_0000", remote_addr="192.0.2.8"
    )
    assert other.status_code == 200


def test_one_login_name_checked_from_many_addresses_gets_429(isolation):
    client = login_name_app(
        redis.Redis.from_url(REDIS_SERVER),
        isolation.redis_prefix + "names2:",
        login_name_checks_per_name_per_hour=3,
    )
    statuses = [
        client.simulate_get(
            f"/api/v1/login-names/{name}", remote_addr=f"192.0.2.{i}"
        ).status_code
        for i, name in enumerate(["zhang_wei", "ZHANG_WEI", "Zhang_Wei", "zhang_WEI"])
    ]
    assert statuses == [200, 200, 200, 429]  # case-insensitive, like the names
    refused = client.simulate_get(
        "/api/v1/login-names/zhang_wei", remote_addr="192.0.2.99"
    )
    assert json.loads(refused.text)["code"] == "login_name_check_rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    assert client.simulate_get("/api/v1/login-names/li_na_01").status_code == 200


def test_registrations_from_one_address_are_limited_for_both_kinds(isolation):
    rpc = FakeRpc({})  # every registration below is malformed: no RPC is made
    settings = dataclasses.replace(
        Settings(environment="test"),
        redis_key_prefix=isolation.redis_prefix + "reg1:",
        registrations_per_hour=3,
    )
    client = falcon.testing.TestClient(
        create_app(settings, rpc, redis.Redis.from_url(REDIS_SERVER))
    )
    statuses = [
        client.simulate_post(
            f"/api/v1/registrations/{kind}", json={}, remote_addr="192.0.2.7"
        ).status_code
        for kind in ("person", "organization", "person", "organization")
    ]
    assert statuses == [422, 422, 422, 429]
    refused = client.simulate_post(
        "/api/v1/registrations/person", json={}, remote_addr="192.0.2.7"
    )
    assert json.loads(refused.text)["code"] == "registration_rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    other = client.simulate_post(
        "/api/v1/registrations/person", json={}, remote_addr="192.0.2.8"
    )
    assert other.status_code == 422


def test_unlock_requests_from_one_address_share_one_quota(isolation):
    rpc = FakeRpc({})  # every request below is malformed: no RPC is made
    settings = dataclasses.replace(
        Settings(environment="test"),
        redis_key_prefix=isolation.redis_prefix + "unlock1:",
        login_unlocks_per_hour=2,
    )
    client = falcon.testing.TestClient(
        create_app(settings, rpc, redis.Redis.from_url(REDIS_SERVER))
    )
    statuses = [
        client.simulate_post(
            f"/api/v1/login/{path}", json={}, remote_addr="192.0.2.7"
        ).status_code
        for path in ("unlock-codes", "unlock", "unlock")
    ]
    assert statuses == [422, 422, 429]
    other = client.simulate_post(
        "/api/v1/login/unlock", json={}, remote_addr="192.0.2.8"
    )
    assert other.status_code == 422
