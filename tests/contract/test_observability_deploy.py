"""Observability in the deploy artefacts: spans to the pinned Jaeger, metrics ports,
the documented settings.
"""

from __future__ import annotations

from tests.contract.deploy_artefacts import (
    DEPLOY_README,
    NAMEKO_SERVICES,
    image_tag,
    of_kind,
    platform_deployments,
)

OBSERVABILITY_VARIABLES = (
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_SERVICE_NAME",
    "PROMETHEUS_MULTIPROC_DIR",
    "METRICS_PORT",
    "METRICS_HOST",
    "JAEGER_UI_PORT",
)


def test_every_process_sends_spans_to_the_pinned_jaeger(config):
    jaeger = config["services"]["jaeger"]
    assert image_tag(jaeger["image"]) not in (None, "latest")
    assert any(p["target"] == 16686 for p in jaeger["ports"])
    for name in (*NAMEKO_SERVICES, "gateway"):
        env = config["services"][name]["environment"]
        assert env["OTEL_TRACES_EXPORTER"] == "otlp", name
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4318", name
        # a collector that is down must never keep the platform from starting
        assert "jaeger" not in config["services"][name].get("depends_on", {}), name


def test_services_serve_metrics_without_fixed_host_ports(config):
    for name in (*NAMEKO_SERVICES, "gateway"):
        assert config["services"][name]["environment"]["METRICS_PORT"] == "9100"
        assert config["services"][name]["environment"]["METRICS_HOST"] == "0.0.0.0"  # noqa: S104 - inside its container
    gateway = config["services"]["gateway"]["environment"]
    assert gateway["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/")


def test_deploy_readme_documents_the_observability_settings():
    text = DEPLOY_README.read_text()
    missing = [v for v in OBSERVABILITY_VARIABLES if f"`{v}`" not in text]
    assert not missing, f"deploy/README.md does not document {missing}"


def test_the_kubernetes_services_expose_their_metrics_port(manifests):
    for name, deployment in platform_deployments(manifests).items():
        template = deployment["spec"]["template"]
        annotations = template["metadata"].get("annotations", {})
        assert annotations.get("prometheus.io/scrape") == "true", name
        port = int(annotations["prometheus.io/port"])
        container = template["spec"]["containers"][0]
        assert port in {p["containerPort"] for p in container.get("ports", [])}, name


def test_the_gateway_is_scraped_on_its_metrics_port_not_the_api_port(manifests):
    gateway = of_kind(manifests, "Deployment")["gateway"]["spec"]["template"]
    annotations = gateway["metadata"]["annotations"]
    ports = {
        p["name"]: p["containerPort"] for p in gateway["spec"]["containers"][0]["ports"]
    }
    config = of_kind(manifests, "ConfigMap")["platform-config"]["data"]
    assert int(annotations["prometheus.io/port"]) == ports["metrics"]
    assert ports["metrics"] == int(config["METRICS_PORT"]) != ports["http"]
