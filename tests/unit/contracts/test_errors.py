"""Contract errors cross an RPC boundary as the same class with the same data."""

from __future__ import annotations

import json

import pytest
from contracts import errors as ce
from contracts.errors import InvalidInput, RateLimited, ServiceError
from contracts.masking import mask_phone
from contracts.phones import PhoneInvalid, normalize_phone
from nameko.exceptions import RemoteError, deserialize, serialize

ERROR_CLASSES = [
    c
    for c in vars(ce).values()
    if isinstance(c, type) and issubclass(c, ce.ServiceError)
]


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_error_is_rebuilt_as_the_same_class(cls):
    original = cls("a_code", "a message", {"errors": [ce.field_error("f", "c", "m")]})
    wire = json.loads(json.dumps(serialize(original)))
    rebuilt = deserialize(wire)
    assert type(rebuilt) is cls
    assert rebuilt.error_code == "a_code"
    assert rebuilt.message == "a message"
    assert rebuilt.details == {"errors": [{"field": "f", "code": "c", "message": "m"}]}


def test_default_code_is_the_class_code():
    assert ce.RateLimited().error_code == "rate_limited"


def test_an_unknown_error_stays_a_remote_error():
    wire = serialize(KeyError("x"))
    assert isinstance(deserialize(wire), RemoteError)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13812345678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("+85261234567", "+85261234567"),
        ("+85366123456", "+85366123456"),
        ("+886912345678", "+886912345678"),
    ],
)
def test_mobiles_are_normalised_to_e164(raw, e164):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    "raw", ["", "12345", "010-12345678", "+8610123", "abc", None, "1" * 40]
)
def test_non_mobiles_are_refused(raw):
    with pytest.raises(PhoneInvalid):
        normalize_phone(raw)


def test_mask_shows_first_two_and_last_three_digits():
    assert mask_phone("+8618912345141") == "18*****141"


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
