"""Every variable a process reads is passed by docker-compose.yml and documented."""

from __future__ import annotations

import pytest

from tests.contract.deploy_artefacts import (
    DEPLOY_README,
    NAMEKO_SERVICES,
    ROOT,
    deployment_specific,
    gateway_variables,
)
from tests.contract.service_settings import service_variables


@pytest.mark.parametrize("service", NAMEKO_SERVICES)
def test_compose_passes_every_deployment_setting_of_a_nameko_service(config, service):
    variables = service_variables(service)
    assert "AMQP_URI" in variables  # the pattern did find the settings
    missing = deployment_specific(variables) - set(
        config["services"][service]["environment"]
    )
    assert not missing, (
        f"{service}: config.yml reads {sorted(missing)}, compose does not set them"
    )


def test_compose_passes_every_setting_of_the_gateway(config):
    variables = gateway_variables()
    assert {"ENVIRONMENT", "GATEWAY_BIND", "RPC_TIMEOUT"} <= variables
    missing = deployment_specific(variables) - set(
        config["services"]["gateway"]["environment"]
    )
    assert not missing, f"gateway reads {sorted(missing)}, compose does not set them"


def test_every_setting_is_documented():
    """deploy/README.md documents the shared settings; a service's own settings may be
    documented in its README instead (deploy/README.md links there)."""
    deploy = DEPLOY_README.read_text()
    missing = []
    for service in NAMEKO_SERVICES:
        own = (ROOT / "services" / service / "README.md").read_text()
        missing += [
            f"{service}:{v}"
            for v in sorted(service_variables(service))
            if f"`{v}`" not in deploy and f"`{v}`" not in own
        ]
    gateway_own = ROOT / "services/gateway/README.md"
    gateway_text = gateway_own.read_text() if gateway_own.exists() else ""
    missing += [
        f"gateway:{v}"
        for v in sorted(gateway_variables())
        if f"`{v}`" not in deploy and f"`{v}`" not in gateway_text
    ]
    assert not missing, f"undocumented settings: {missing}"
