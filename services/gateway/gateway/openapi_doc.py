"""The served OpenAPI document, assembled from one YAML file per area.

``openapi/base.yaml`` holds info and shared components; every other file adds its
``paths`` (and may add ``components``). Files named ``dev*.yaml`` describe the
dev/test-only helpers and are left out when those are not served. A contract test
checks the document against the routes the app really serves.
"""

from __future__ import annotations

import importlib
from importlib.resources import files
from typing import Any

import yaml
from pydantic import BaseModel

MODEL_KEY = "x-model"
REF = "#/components/schemas/{model}"


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
    document.setdefault("components", {}).setdefault("schemas", {})
    _models_to_schemas(document, document["components"]["schemas"])
    _uri_too_long(document)
    return document


HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _uri_too_long(document: dict) -> None:
    """Every operation that takes query parameters may meet gunicorn's limit on the
    request line (``limit_request_line``, 4094 bytes): it answers 414 itself, before
    the gateway sees the request. Documented here once for all of them."""
    for item in document["paths"].values():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation and any(
                p.get("in") == "query" for p in operation.get("parameters", [])
            ):
                operation["responses"].setdefault(
                    "414", {"$ref": "#/components/responses/UriTooLong"}
                )


def model_class(spec: str) -> type[BaseModel]:
    """``"contracts.otp:SmsCodeRequest"`` → that class."""
    module, _, name = spec.partition(":")
    model = getattr(importlib.import_module(module), name)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise ValueError(f"{spec} is no pydantic model")
    return model


def model_schemas(model: type[BaseModel]) -> dict[str, dict]:
    """The JSON Schema of ``model`` and of every model it holds, by name."""
    schema = model.model_json_schema(ref_template=REF)
    found = schema.pop("$defs", {})
    found[model.__name__] = schema
    for entry in found.values():
        entry["x-generated-from-model"] = True
        for name in entry.get("required", ()):
            # a field the caller must send has no default to fall back on
            entry.get("properties", {}).get(name, {}).pop("default", None)
    return found


def _models_to_schemas(node: Any, schemas: dict) -> None:
    """Every ``{x-model: module:Name}`` in the document becomes a ``$ref`` to the
    model's JSON Schema, added to ``components.schemas``: request and reply bodies
    are described by the same models the services check."""
    if isinstance(node, list):
        for item in node:
            _models_to_schemas(item, schemas)
        return
    if not isinstance(node, dict):
        return
    for key, value in list(node.items()):
        if isinstance(value, dict) and MODEL_KEY in value:
            model = model_class(value[MODEL_KEY])
            for name, schema in model_schemas(model).items():
                if schemas.get(name, schema) != schema:
                    raise ValueError(f"two models are named {name}")
                schemas[name] = schema
            node[key] = {"$ref": REF.format(model=model.__name__)}
        else:
            _models_to_schemas(value, schemas)
