"""The served OpenAPI document describes exactly the routes the gateway serves."""

from __future__ import annotations

import falcon.inspect
import pytest
from gateway.app import create_app
from gateway.openapi_doc import load_openapi
from gateway.settings import Settings

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def served_routes(environment: str) -> set[tuple[str, str]]:
    app = create_app(Settings(environment=environment), rpc=None, redis_client=None)
    routes = set()
    for route in falcon.inspect.inspect_routes(app):
        for method in route.methods:
            if not method.internal and method.method.lower() in HTTP_METHODS:
                routes.add((route.path, method.method.lower()))
    return routes


def documented_routes(include_dev: bool) -> set[tuple[str, str]]:
    document = load_openapi(include_dev)
    return {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


@pytest.mark.parametrize("environment", ["test", "production"])
def test_document_and_routes_agree(environment):
    include_dev = environment != "production"
    assert served_routes(environment) == documented_routes(include_dev)


def test_every_operation_has_an_id_and_responses():
    ids = []
    for path, item in load_openapi(True)["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                assert operation.get("operationId"), (path, method)
                assert operation.get("responses"), (path, method)
                ids.append(operation["operationId"])
    assert len(ids) == len(set(ids))


def test_document_is_valid_openapi():
    from openapi_spec_validator import validate

    validate(load_openapi(True))


# Answered by the gateway alone; every other operation calls a service, which may be
# down or cut off from its database or cache (503 with Retry-After).
GATEWAY_ONLY = {
    ("/api/v1/health", "get"),
    ("/api/v1/help/contact", "get"),
    ("/api/v1/openapi.json", "get"),
    ("/metrics", "get"),
}


def test_every_operation_that_calls_a_service_documents_503():
    document = load_openapi(True)
    missing = [
        (path, method)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
        and (path, method) not in GATEWAY_ONLY
        and "503" not in {str(status) for status in operation["responses"]}
    ]
    assert not missing
    assert documented_routes(True) >= GATEWAY_ONLY


# Areas whose bodies are still written by hand in YAML; each area's file leaves this
# list when its bodies come from models (issue 11). It must end empty.
NOT_YET_FROM_MODELS: set[str] = {
    "platform.yaml",
    "support.yaml",
    "ops.yaml",
    "dev.yaml",
}


def json_bodies(operation: dict):
    body = (operation.get("requestBody") or {}).get("content", {})
    if "application/json" in body:
        yield "request", body["application/json"].get("schema")
    for status, response in operation.get("responses", {}).items():
        content = (response or {}).get("content", {})
        if "application/json" in content:
            yield status, content["application/json"].get("schema")


def area_of(path: str) -> dict[str, str]:
    from importlib.resources import files

    import yaml

    folder = files("gateway").joinpath("openapi")
    owners = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml") and entry.name != "base.yaml":
            part = yaml.safe_load(entry.read_text("utf-8")) or {}
            for documented in part.get("paths") or {}:
                owners[documented] = entry.name
    return owners


def test_every_json_body_schema_comes_from_a_model():
    document = load_openapi(True)
    schemas = document["components"]["schemas"]
    owners = area_of("")
    for path, item in document["paths"].items():
        if owners[path] in NOT_YET_FROM_MODELS:
            continue
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            for where, schema in json_bodies(operation):
                ref = (schema or {}).get("$ref", "")
                name = ref.rpartition("/")[2]
                assert ref.startswith("#/components/schemas/"), (path, method, where)
                assert schemas[name].get("x-generated-from-model"), (
                    path,
                    method,
                    where,
                    name,
                )
