"""Contract errors arrive at an RPC caller as the same class, with typed details."""

from __future__ import annotations

import json

from contracts.errors import InvalidInput, RateLimited, ServiceError
from nameko.exceptions import deserialize, serialize


def over_the_wire(error: ServiceError) -> ServiceError:
    return deserialize(json.loads(json.dumps(serialize(error))))


def test_numbers_in_details_stay_numbers_across_rpc():
    error = over_the_wire(
        RateLimited("sms_rate_limited", "slow down", {"retry_after": 42})
    )
    assert type(error) is RateLimited
    assert error.error_code == "sms_rate_limited"
    assert error.message == "slow down"
    assert error.details == {"retry_after": 42}


def test_nested_details_and_defaults_survive():
    details = {
        "tries_left": 0,
        "errors": [{"field": "sms_code", "code": "x", "message": "m"}],
    }
    assert (
        over_the_wire(InvalidInput("sms_code_invalid", "", details)).details == details
    )
    plain = over_the_wire(InvalidInput())
    assert plain.error_code == "validation_failed" and plain.details == {}
