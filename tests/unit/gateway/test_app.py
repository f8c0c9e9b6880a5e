"""The gateway's own behaviour: ids, health, readiness, problem+json, body limits."""

from __future__ import annotations

import json

import falcon.testing
import pytest
from contracts.errors import Unavailable
from gateway.app import create_app
from gateway.errors import STATUS_BY_ERROR
from gateway.settings import Settings

from tests.unit.gateway.fakes import FakeRedis, FakeRpc, pinging

ALL = ("accounts", "otp", "verification", "recovery", "sso")


def client(rpc=None, redis=None, environment="test") -> falcon.testing.TestClient:
    settings = Settings(environment=environment, max_body_bytes=1024)
    return falcon.testing.TestClient(
        create_app(settings, rpc or FakeRpc(), redis or FakeRedis())
    )


def test_health_answers_without_touching_anything():
    result = client().simulate_get("/api/v1/health")
    assert result.status_code == 200
    assert result.json == {"status": "ok"}
    assert len(result.headers["X-Request-ID"]) == 32


def test_a_well_formed_request_id_is_kept_and_passed_to_rpc():
    rpc = pinging(*ALL)
    result = client(rpc).simulate_get(
        "/api/v1/ready", headers={"X-Request-ID": "caller-supplied-0001"}
    )
    assert result.headers["X-Request-ID"] == "caller-supplied-0001"
    contexts = [context for *_, context in rpc.calls]
    assert contexts and all(
        c["correlation_id"] == "caller-supplied-0001" for c in contexts
    )


@pytest.mark.parametrize(
    "offered", ["short", "has space in it", "x" * 200, "ünïcode-id-123"]
)
def test_an_ill_formed_request_id_is_replaced(offered):
    result = client().simulate_get("/api/v1/health", headers={"X-Request-ID": offered})
    assert result.headers["X-Request-ID"] != offered


def test_ready_is_200_when_every_service_and_redis_answer():
    result = client(pinging(*ALL)).simulate_get("/api/v1/ready")
    assert result.status_code == 200
    assert result.json["down"] == []
    assert set(result.json["services"]) == set(ALL)


def test_ready_is_503_naming_what_is_down():
    result = client(pinging("accounts", "otp"), FakeRedis(up=False)).simulate_get(
        "/api/v1/ready"
    )
    assert result.status_code == 503
    assert sorted(result.json["down"]) == ["recovery", "redis", "sso", "verification"]
    assert result.headers["Retry-After"] == "5"


def test_unknown_route_is_problem_json():
    result = client().simulate_get("/api/v1/no-such-thing")
    assert result.status_code == 404
    assert result.headers["Content-Type"] == "application/problem+json"
    body = json.loads(result.text)
    assert body["code"] == "not_found"
    assert body["status"] == 404
    assert body["request_id"] == result.headers["X-Request-ID"]


@pytest.mark.parametrize(
    ("error_class", "status"), sorted(STATUS_BY_ERROR.items(), key=str)
)
def test_each_contract_error_maps_to_its_status_with_its_own_code(error_class, status):
    def raising(**kwargs):
        raise error_class("some_specific_code", "explained", {"retry_after": 7})

    rpc = FakeRpc({("accounts", "send_pipeline_canary"): raising})
    result = client(rpc).simulate_post("/api/v1/dev/pipeline-canaries")
    assert result.status_code == status
    body = json.loads(result.text)
    assert body["code"] == "some_specific_code"
    assert body["detail"] == "explained"
    assert result.headers["Retry-After"] == "7"


def test_a_services_unavailable_error_without_retry_after_still_says_when():
    def raising(**kwargs):
        raise Unavailable("dependency_unavailable", "otp did not answer")

    rpc = FakeRpc({("accounts", "send_pipeline_canary"): raising})
    result = client(rpc).simulate_post("/api/v1/dev/pipeline-canaries")
    assert result.status_code == 503
    assert result.json["code"] == "dependency_unavailable"
    assert result.headers["Retry-After"] == "5"


def test_an_absent_service_is_503_with_retry_after():
    result = client(FakeRpc()).simulate_post("/api/v1/dev/pipeline-canaries")
    assert result.status_code == 503
    assert result.headers["Retry-After"] == "5"
    assert json.loads(result.text)["code"] == "service_unavailable"


def test_an_unexpected_error_is_500_without_a_stack_trace():
    def broken(**kwargs):
        raise RuntimeError("secret internals")

    rpc = FakeRpc({("accounts", "send_pipeline_canary"): broken})
    result = client(rpc).simulate_post("/api/v1/dev/pipeline-canaries")
    assert result.status_code == 500
    assert "secret internals" not in result.text
    assert json.loads(result.text)["code"] == "internal_error"


def test_dev_helpers_are_not_served_in_production():
    rpc = FakeRpc({("accounts", "send_pipeline_canary"): lambda **kw: kw})
    result = client(rpc, environment="production").simulate_post(
        "/api/v1/dev/pipeline-canaries"
    )
    assert result.status_code == 404
    assert rpc.calls == []


def test_unknown_environment_is_refused():
    with pytest.raises(ValueError):
        Settings.from_env({"ENVIRONMENT": "staging"})


def test_dev_echo_makes_one_echo_rpc_and_returns_its_value():
    rpc = FakeRpc({("accounts", "echo"): lambda value: value})
    result = client(rpc).simulate_get("/api/v1/dev/echo", params={"value": "hi"})
    assert result.status_code == 200
    assert result.json == {"value": "hi"}
    assert [call[:2] for call in rpc.calls] == [("accounts", "echo")]
    assert (
        client(rpc, environment="production")
        .simulate_get("/api/v1/dev/echo")
        .status_code
        == 404
    )


def test_the_support_contact_is_published_from_the_settings():
    settings = Settings(
        environment="production",
        support_phone="010-0000-0000",
        support_email="support@example.gov.cn",
    )
    app = create_app(settings, FakeRpc(), FakeRedis())
    result = falcon.testing.TestClient(app).simulate_get("/api/v1/help/contact")
    assert result.status_code == 200
    # the unset fax and hours are left out; no service is called for it
    assert result.json == {"phone": "010-0000-0000", "email": "support@example.gov.cn"}
    assert "max-age=300" in result.headers["Cache-Control"]


def test_the_support_contact_comes_from_the_environment():
    settings = Settings.from_env(
        {"SUPPORT_PHONE": " 010-1111-2222 ", "SUPPORT_FAX": "010-1111-2223"}
    )
    assert (settings.support_phone, settings.support_fax) == (
        "010-1111-2222",
        "010-1111-2223",
    )
