"""The review queue's shared rules: the decision body's model and the owners' check
answer the same codes, every field error at once, the first one on top."""

from __future__ import annotations

import pytest
from contracts.errors import InvalidInput
from contracts.models import parse
from contracts.review import ReviewDecisionRequest, checked_decision


def refused(data: dict) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse(ReviewDecisionRequest, data)
    return caught.value


def test_a_good_decision_is_read_and_its_reason_trimmed():
    body = parse(ReviewDecisionRequest, {"decision": "reject", "reason": "  blurred "})
    assert (body.decision, body.reason) == ("reject", "blurred")


@pytest.mark.parametrize(
    ("data", "fields", "codes"),
    [
        ({"decision": "maybe", "reason": "x"}, ["decision"], ["decision_invalid"]),
        ({"decision": None, "reason": "x"}, ["decision"], ["decision_invalid"]),
        ({"reason": "x"}, ["decision"], ["decision_invalid"]),
        ({"decision": "approve", "reason": "   "}, ["reason"], ["reason_required"]),
        ({"decision": "approve", "reason": None}, ["reason"], ["reason_required"]),
        ({"decision": "approve", "reason": 5}, ["reason"], ["reason_required"]),
        ({"decision": "approve"}, ["reason"], ["reason_required"]),
        (
            {"decision": "approve", "reason": "x" * 1001},
            ["reason"],
            ["reason_too_long"],
        ),
        (
            {"decision": 1, "reason": ""},
            ["decision", "reason"],
            ["decision_invalid", "reason_required"],
        ),
    ],
)
def test_every_bad_field_is_listed_and_the_first_is_on_top(data, fields, codes):
    error = refused(data)
    errors = error.details["errors"]
    assert [e["field"] for e in errors] == fields
    assert [e["code"] for e in errors] == codes
    assert error.error_code == codes[0]


def test_a_reason_of_exactly_the_limit_is_accepted():
    body = parse(ReviewDecisionRequest, {"decision": "approve", "reason": "x" * 1000})
    assert len(body.reason) == 1000


def test_the_owners_check_answers_what_the_model_answers():
    """The messages the owners answered before the rules became a model."""
    with pytest.raises(InvalidInput) as caught:
        checked_decision("maybe", "  ", None)
    assert caught.value.error_code == "decision_invalid"
    assert caught.value.message == "approve or reject"
    assert caught.value.details["errors"] == [
        {
            "field": "decision",
            "code": "decision_invalid",
            "message": "approve or reject",
        },
        {"field": "reason", "code": "reason_required", "message": "give a reason"},
        {
            "field": "reviewer_id",
            "code": "reviewer_required",
            "message": "who decides?",
        },
    ]
    assert checked_decision("approve", " fine ", "rev_1") == "fine"
