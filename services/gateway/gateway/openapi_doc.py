"""The served OpenAPI document, assembled from one YAML file per area.

``openapi/base.yaml`` holds info and shared components; every other file adds its
``paths`` (and may add ``components``). Files named ``dev*.yaml`` describe the
dev/test-only helpers and are left out when those are not served. A contract test checks the document against
the routes the app really serves.
"""

from __future__ import annotations

from importlib.resources import files

import yaml


def load_openapi(include_dev: bool = True) -> dict:
    folder = files("gateway").joinpath("openapi")
    document = yaml.safe_load(folder.joinpath("base.yaml").read_text("utf-8"))
    document.setdefault("paths", {})
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".yaml"))
    for name in names:
        if name == "base.yaml" or (name.startswith("dev") and not include_dev):
            continue
        part = yaml.safe_load(folder.joinpath(name).read_text("utf-8")) or {}
        for path, item in (part.get("paths") or {}).items():
            if path in document["paths"]:
                raise ValueError(f"{name}: path {path} is already described")
            document["paths"][path] = item
        for section, entries in (part.get("components") or {}).items():
            target = document.setdefault("components", {}).setdefault(section, {})
            for key, value in entries.items():
                if key in target:
                    raise ValueError(
                        f"{name}: components.{section}.{key} already exists"
                    )
                target[key] = value
    return document
