"""Schemathesis against the served OpenAPI document, bounded: the gateway never
answers 5xx to generated input and every answer matches the document."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

pytestmark = pytest.mark.e2e

# Bounded for the suite; FUZZ_EXAMPLES=200 digs deeper when hunting.
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "15"))

# A request that fits the schema may still break a business rule (a phone that is
# no mobile, a wrong captcha): those answers are 4xx by design, and the document
# lists them. Every other check applies, including that schema-invalid input is refused.
EXCLUDED = [positive_data_acceptance]


def test_every_operation_conforms_to_the_document(live_stack):
    base_url = live_stack.url.removesuffix("/api/v1")
    schema = schemathesis.openapi.from_url(f"{live_stack.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the served document describes no operation"

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def conforms(case):
            case.call_and_validate(base_url=base_url, excluded_checks=EXCLUDED)

        conforms()
