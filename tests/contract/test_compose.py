"""Offline checks of docker-compose.yml (validated by the real Compose binary,
``deploy_artefacts``): every service, its order, scaling, image tags, health checks.
"""

from __future__ import annotations

import pytest

from tests.contract.deploy_artefacts import (
    ALL_COMPOSE_SERVICES,
    MIGRATE_COMMAND,
    NAMEKO_SERVICES,
    SERVERS,
    compose_config,
    image_tag,
    run_compose,
)


def test_compose_binary_validates_the_file(tmp_path):
    result = run_compose(["config", "-q"], tmp_path)
    assert result.returncode == 0, f"docker-compose config -q failed:\n{result.stderr}"


def test_compose_binary_rejects_an_invalid_file(tmp_path):
    """Proves that the exit code above means something (the wrapper always says 0)."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "services:\n  a:\n    image: busybox:1.36\n    depends_on:\n"
        "      b: {condition: service_healthy}\n"
    )
    result = run_compose(["config", "-q"], tmp_path, file=broken)
    assert result.returncode != 0


def test_every_service_exists(config):
    assert set(config["services"]) >= ALL_COMPOSE_SERVICES, sorted(config["services"])


@pytest.mark.parametrize("service", NAMEKO_SERVICES)
def test_nameko_service_waits_for_servers_and_migrations(config, service):
    depends = config["services"][service].get("depends_on", {})
    assert (
        depends.get("migrate", {}).get("condition") == "service_completed_successfully"
    )
    for server in SERVERS:
        assert depends.get(server, {}).get("condition") == "service_healthy", server


@pytest.mark.parametrize("service", NAMEKO_SERVICES)
def test_nameko_service_can_be_scaled(config, service):
    definition = config["services"][service]
    assert "container_name" not in definition
    assert not definition.get("ports"), "a fixed host port prevents --scale"


def test_no_image_is_latest_or_untagged(config):
    for name, definition in config["services"].items():
        image = definition.get("image")
        assert image, f"{name} has no image (and so no tag)"
        tag = image_tag(image)
        assert tag, f"{name}: image {image!r} has no tag"
        assert tag != "latest", f"{name}: image {image!r} is :latest"


def test_servers_have_healthchecks(config):
    expected = {
        "rabbitmq": "rabbitmq-diagnostics",
        "postgres": "pg_isready",
        "redis": "redis-cli",
    }
    for server, tool in expected.items():
        check = config["services"][server].get("healthcheck", {})
        assert tool in " ".join(check.get("test", [])), server
    assert config["services"]["rabbitmq"]["image"] == "rabbitmq:3.13-management"
    assert config["services"]["postgres"]["image"] == "postgres:16"
    assert config["services"]["redis"]["image"] == "redis:7.2"
    postgres_env = config["services"]["postgres"]["environment"]
    assert postgres_env["POSTGRES_HOST_AUTH_METHOD"] == "trust"


def test_migrate_runs_once(config):
    migrate = config["services"]["migrate"]
    assert migrate["command"] == MIGRATE_COMMAND
    assert migrate.get("working_dir") == "/app"
    assert migrate.get("restart", "no") == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for variable in ("ACCOUNTS_DB_URL", "VERIFICATION_DB_URL", "RECOVERY_DB_URL"):
        assert migrate["environment"][variable].startswith("postgresql+psycopg://")


def test_gateway_is_published_through_the_proxy_only_and_checked(config):
    gateway = config["services"]["gateway"]
    assert not gateway.get("ports"), "published: slow clients would bypass the proxy"
    proxy = config["services"]["gateway-proxy"]
    assert {"target": 8080, "published": "8080"}.items() <= proxy["ports"][0].items()
    assert proxy["depends_on"]["gateway"]["condition"] == "service_healthy"
    assert "/api/v1/health" in " ".join(gateway["healthcheck"]["test"])
    assert "/api/v1/health" in " ".join(proxy["healthcheck"]["test"])
    for service in NAMEKO_SERVICES:
        assert gateway["depends_on"][service]["condition"] == "service_started"
    assert gateway["environment"]["ENVIRONMENT"] == "dev"
    assert gateway["environment"]["GATEWAY_BIND"] == "0.0.0.0:8080"


def test_settings_come_from_the_environment(tmp_path):
    config = compose_config(
        tmp_path,
        {
            "AMQP_URI": "amqp://u:p@broker:5672/v",
            "ACCOUNTS_DB_URL": "postgresql+psycopg://a@db:5432/acc",
            "MAX_WORKERS": "25",
            "GATEWAY_PORT": "9090",
            "ENVIRONMENT": "test",
        },
    )
    services = config["services"]
    for name in (*NAMEKO_SERVICES, "gateway"):
        assert services[name]["environment"]["AMQP_URI"] == "amqp://u:p@broker:5672/v"
    assert services["accounts"]["environment"]["ACCOUNTS_DB_URL"].endswith(
        "@db:5432/acc"
    )
    assert services["migrate"]["environment"]["ACCOUNTS_DB_URL"].endswith(
        "@db:5432/acc"
    )
    assert services["otp"]["environment"]["MAX_WORKERS"] == "25"
    assert services["gateway-proxy"]["ports"][0]["published"] == "9090"
    assert services["gateway"]["environment"]["ENVIRONMENT"] == "test"


def test_default_broker_credentials_match_the_broker(config):
    rabbit = config["services"]["rabbitmq"]["environment"]
    uri = config["services"]["accounts"]["environment"]["AMQP_URI"]
    expected = (
        f"amqp://{rabbit['RABBITMQ_DEFAULT_USER']}:{rabbit['RABBITMQ_DEFAULT_PASS']}"
        f"@rabbitmq:5672/{rabbit['RABBITMQ_DEFAULT_VHOST']}"
    )
    assert uri == expected
