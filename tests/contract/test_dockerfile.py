"""Offline checks of deploy/service.Dockerfile: one file builds every image with uv
from the lock, as a non-root user; the build context stays small.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from tests.contract.deploy_artefacts import (
    GATEWAY_COMMAND,
    MIGRATE_COMMAND,
    NAMEKO_SERVICES,
    ROOT,
    nameko_command,
)


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
    for package in ("accounts", "verification", "recovery", "sso"):
        assert f"--package {package}" in sync, package
    for service in ("accounts", "verification", "recovery", "sso"):
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
