"""The buffering proxy in front of the gateway (issue 12, finding 5) in compose and
k8s: the one config, its variables, its buffers, timeouts and body limit.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.contract.deploy_artefacts import PROXY, PROXY_TEMPLATE, image_tag, of_kind


def proxy_directive(name: str) -> str:
    found = re.findall(rf"^\s*{name}\s+([^;]+);", PROXY_TEMPLATE.read_text(), re.M)
    assert len(found) == 1, (name, found)
    return found[0].strip()


def test_compose_runs_the_proxy_with_the_one_config_and_believes_it(config):
    proxy = config["services"][PROXY]
    assert image_tag(proxy["image"]) not in (None, "latest")
    (mount,) = proxy["volumes"]
    assert Path(mount["source"]) == PROXY_TEMPLATE
    assert mount["target"] == "/etc/nginx/templates/default.conf.template"
    assert mount.get("read_only") is True
    assert proxy["environment"]["PROXY_UPSTREAM"] == "gateway:8080"
    address = proxy["networks"]["default"]["ipv4_address"]
    trusted = config["services"]["gateway"]["environment"]["TRUSTED_PROXIES"]
    assert trusted.split(",") == [address]


def test_the_kubernetes_proxy_holds_the_one_config_verbatim(manifests):
    configmap = of_kind(manifests, "ConfigMap")["gateway-proxy-config"]
    assert configmap["data"]["default.conf.template"] == PROXY_TEMPLATE.read_text()
    deployment = of_kind(manifests, "Deployment")[PROXY]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert image_tag(container["image"]) not in (None, "latest")
    env = {e["name"]: e["value"] for e in container["env"]}
    service = of_kind(manifests, "Service")["gateway"]["spec"]["ports"][0]["port"]
    assert env["PROXY_UPSTREAM"] == f"gateway:{service}"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    templates = volumes[mounts["/etc/nginx/templates"]]
    assert templates["configMap"]["name"] == "gateway-proxy-config"
    assert {"/etc/nginx/conf.d", "/tmp"} <= set(mounts)
    assert PROXY in of_kind(manifests, "Service")
    config = of_kind(manifests, "ConfigMap")["platform-config"]["data"]
    assert config["TRUSTED_PROXIES"]


def test_the_proxy_config_is_rendered_only_in_its_own_variables():
    variables = set(re.findall(r"\$\{(\w+)\}", PROXY_TEMPLATE.read_text()))
    assert variables == {"PROXY_PORT", "PROXY_UPSTREAM"}


def test_the_proxy_buffers_and_times_out_slow_clients():
    assert proxy_directive("proxy_request_buffering") == "on"
    for name in ("client_header_timeout", "client_body_timeout"):
        assert 0 < int(proxy_directive(name).rstrip("s")) <= 30, name
    assert "$proxy_add_x_forwarded_for" in proxy_directive(
        "proxy_set_header X-Forwarded-For"
    )


def test_the_proxy_body_limit_matches_the_gateways_largest_upload():
    from gateway.resources.recovery import APPEAL_LIMITS
    from gateway.resources.verification import MATERIAL_LIMITS
    from gateway.settings import Settings

    largest = max(
        max(limits.max_files * limits.max_file_bytes, Settings.max_body_bytes)
        + limits.max_parts * (limits.max_field_bytes + 1024)  # a part's headers
        for limits in (APPEAL_LIMITS, MATERIAL_LIMITS)
    )
    value = proxy_directive("client_max_body_size")
    assert value.endswith("m"), value
    limit = int(value[:-1]) * 1024 * 1024
    assert largest <= limit <= largest + 1024 * 1024, (largest, limit)
