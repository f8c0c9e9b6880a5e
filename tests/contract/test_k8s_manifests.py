"""Offline checks of deploy/k8s/: a Deployment per process with its command, settings
from the ConfigMap and Secret, probes, the migration Job, non-root pods.
"""

from __future__ import annotations

from tests.contract.deploy_artefacts import (
    GATEWAY_COMMAND,
    MIGRATE_COMMAND,
    NAMEKO_SERVICES,
    PROXY,
    deployment_specific,
    full_command,
    gateway_variables,
    image_tag,
    nameko_command,
    of_kind,
    platform_deployments,
)
from tests.contract.service_settings import service_variables


def test_every_process_has_a_deployment(manifests):
    deployments = of_kind(manifests, "Deployment")
    assert set(deployments) == {*NAMEKO_SERVICES, "gateway", PROXY}
    for name, deployment in deployments.items():
        assert isinstance(deployment["spec"].get("replicas"), int), (
            f"{name}: set replicas"
        )
        assert deployment["spec"]["replicas"] >= 1


def test_deployment_command_matches_its_service(manifests):
    for name, deployment in platform_deployments(manifests).items():
        spec = deployment["spec"]
        labels = spec["template"]["metadata"]["labels"]
        assert labels.get("app.kubernetes.io/name") == name
        assert spec["selector"]["matchLabels"].items() <= labels.items()
        containers = spec["template"]["spec"]["containers"]
        assert len(containers) == 1, name
        container = containers[0]
        assert container["name"] == name
        expected = GATEWAY_COMMAND if name == "gateway" else nameko_command(name)
        assert full_command(container) == expected, deployment["_file"]
        assert container.get("workingDir") == f"/app/services/{name}"
        image = container["image"]
        assert image.split("@")[0].rsplit("/", 1)[-1].split(":")[0] == name, image
        assert image_tag(image) not in (None, "latest"), image


def test_deployments_take_settings_from_configmap_and_secret(manifests):
    configmaps = of_kind(manifests, "ConfigMap")
    secrets = of_kind(manifests, "Secret")
    workloads = [
        *platform_deployments(manifests).values(),
        *of_kind(manifests, "Job").values(),
    ]
    for workload in workloads:
        container = workload["spec"]["template"]["spec"]["containers"][0]
        sources = container.get("envFrom", [])
        config_refs = [
            s["configMapRef"]["name"] for s in sources if "configMapRef" in s
        ]
        secret_refs = [s["secretRef"]["name"] for s in sources if "secretRef" in s]
        name = workload["metadata"]["name"]
        assert config_refs and secret_refs, name
        assert set(config_refs) <= set(configmaps), name
        assert set(secret_refs) <= set(secrets), name
        provided: set[str] = set()
        for ref in config_refs:
            provided |= set(configmaps[ref].get("data", {}))
        for ref in secret_refs:
            secret = secrets[ref]
            provided |= set(secret.get("stringData", {})) | set(secret.get("data", {}))
        provided |= {e["name"] for e in container.get("env", [])}
        if name in NAMEKO_SERVICES:
            needed = deployment_specific(service_variables(name))
        elif name == "gateway":
            needed = deployment_specific(gateway_variables())
        else:
            needed = {
                "ACCOUNTS_DB_URL",
                "VERIFICATION_DB_URL",
                "RECOVERY_DB_URL",
                "SSO_DB_URL",
            }
        assert not needed - provided, f"{name} lacks {sorted(needed - provided)}"


def test_gateway_probes_health_not_ready_and_has_a_service(manifests):
    gateway = of_kind(manifests, "Deployment")["gateway"]
    container = gateway["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/api/v1/health"
    assert container["livenessProbe"]["httpGet"]["path"] == "/api/v1/health"
    services = of_kind(manifests, "Service")
    assert "gateway" in services
    assert services["gateway"]["spec"]["selector"] == {
        "app.kubernetes.io/name": "gateway"
    }
    config = of_kind(manifests, "ConfigMap")["platform-config"]["data"]
    assert config["ENVIRONMENT"] == "production"
    assert config["GATEWAY_BIND"].startswith("0.0.0.0:")


def test_migrations_run_as_a_job(manifests):
    jobs = of_kind(manifests, "Job")
    assert "migrate" in jobs
    pod = jobs["migrate"]["spec"]["template"]["spec"]
    assert pod["restartPolicy"] in ("Never", "OnFailure")
    container = pod["containers"][0]
    assert full_command(container) == MIGRATE_COMMAND
    assert container.get("workingDir") == "/app"
    assert image_tag(container["image"]) not in (None, "latest")


def test_pods_run_as_non_root(manifests):
    workloads = [
        *of_kind(manifests, "Deployment").values(),
        *of_kind(manifests, "Job").values(),
    ]
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
