"""The served OpenAPI document describes exactly the routes the gateway serves."""

from __future__ import annotations

import falcon.inspect
import pytest
from gateway.app import create_app
from gateway.openapi_doc import load_openapi
from gateway.settings import Settings
from gateway.web.routes import is_page_path

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def served_routes(environment: str) -> set[tuple[str, str]]:
    """Every route but the pages (HTML for people, not part of the API)."""
    app = create_app(Settings(environment=environment), rpc=None, redis_client=None)
    routes = set()
    for route in falcon.inspect.inspect_routes(app):
        if is_page_path(route.path):
            continue
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


def json_bodies(operation: dict):
    body = (operation.get("requestBody") or {}).get("content", {})
    if "application/json" in body:
        yield "request", body["application/json"].get("schema")
    for status, response in operation.get("responses", {}).items():
        content = (response or {}).get("content", {})
        if "application/json" in content:
            yield status, content["application/json"].get("schema")


def test_every_json_body_schema_comes_from_a_model():
    document = load_openapi(True)
    schemas = document["components"]["schemas"]
    for path, item in document["paths"].items():
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


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def test_every_operation_has_tags():
    untagged = [
        (path, method)
        for path, method, operation in operations(load_openapi(True))
        if not operation.get("tags")
    ]
    assert not untagged


def _resolved(schema: dict, schemas: dict) -> dict:
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rpartition("/")[2]]
    return schema


def _has_example(schema: dict, schemas: dict) -> bool:
    """An example on the field itself, on the schema it refers to, on one of the
    alternatives of an optional field (``anyOf: [{...}, {type: null}]``), or, for
    a nested model, on each of its fields."""
    schema = _resolved(schema, schemas)
    if "examples" in schema or "example" in schema:
        return True
    if any(_has_example(option, schemas) for option in schema.get("anyOf", [])):
        return True
    return bool(schema.get("properties")) and not _fields_without_examples(
        schema, schemas
    )


def _fields_without_examples(model: dict, schemas: dict) -> list[str]:
    """The required fields without an example (every field when none is
    required)."""
    properties = model.get("properties", {})
    names = model.get("required") or list(properties)
    return [n for n in names if not _has_example(properties.get(n, {}), schemas)]


def test_every_json_request_model_has_examples():
    """Issue 11 item 4: a reader of the document (and Schemathesis' example phase)
    gets a sample of every request body: the model carries examples, or every one
    of its required fields does."""
    document = load_openapi(True)
    schemas = document["components"]["schemas"]
    without = []
    for path, method, operation in operations(document):
        body = (operation.get("requestBody") or {}).get("content", {})
        if "application/json" not in body:
            continue
        model = _resolved(body["application/json"]["schema"], schemas)
        if "examples" not in model and not model.get("properties"):
            without.append((path, method, "no fields"))
        elif "examples" not in model and (
            missing := _fields_without_examples(model, schemas)
        ):
            without.append((path, method, missing))
    assert not without
