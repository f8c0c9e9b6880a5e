"""A service's ``config.yml`` read outside ``nameko run`` (for operator commands),
with the same ``${VAR:default}`` environment substitution nameko applies."""

from __future__ import annotations

from pathlib import Path

import yaml


def load_config(path: Path) -> dict:
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()
    with open(path, encoding="utf-8") as stream:
        return yaml.safe_load(stream)
