"""verification's entrypoints read their arguments through the contract's types
before any work: the codes a direct RPC caller gets (that the service serves
exactly its contract is checked for every service in tests/contract)."""

from __future__ import annotations

import pytest
from contracts.errors import InvalidInput
from verification.service import VerificationService

NO_WORKER = object()  # a refused argument never reaches the worker's dependencies


@pytest.mark.parametrize(
    ("method", "kwargs", "code"),
    [
        ("list_review_cases", {"status": "submitted"}, "status_invalid"),
        ("list_review_cases", {"limit": "many"}, "limit_invalid"),
        (
            "submit_materials",
            {"account_id": "acc_1", "account_kind": "robot", "files": {}},
            "account_kind_invalid",
        ),
        (
            "decide_review_case",
            {"case_id": "vrf_1", "decision": "maybe", "reason": "x"},
            "decision_invalid",
        ),
        (
            "decide_review_case",
            {"case_id": "vrf_1", "decision": "approve", "reason": " "},
            "reason_required",
        ),
        (
            "decide_review_case",
            {"case_id": "vrf_1", "decision": "approve", "reason": "x" * 1001},
            "reason_too_long",
        ),
    ],
)
def test_a_bad_argument_is_refused_with_its_code(method, kwargs, code):
    if method == "decide_review_case":
        kwargs = {**kwargs, "reviewer_id": "rev_1"}
    with pytest.raises(InvalidInput) as caught:
        getattr(VerificationService, method)(NO_WORKER, **kwargs)
    assert caught.value.error_code == code
