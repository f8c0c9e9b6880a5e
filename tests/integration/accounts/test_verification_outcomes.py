"""Verification's outcomes keep the real-name status current; stale ones are ignored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from accounts import profile, real_name

from tests.integration.accounts.helpers import outcome, register

pytestmark = pytest.mark.integration


def test_verification_outcomes_keep_the_status_current_and_stale_ones_are_ignored(
    deps, otp
):
    _, registered = register(deps, otp)
    account_id = registered["account_id"]
    later = deps.clock() + timedelta(seconds=5)

    def apply(event_type, when, **data):
        with deps.repo.transaction():
            return real_name.apply_verification_outcome(
                deps, outcome(event_type, account_id, when, **data)
            )

    assert apply("verification_failed", later, reason_code="name_mismatch")
    me = profile.get_me(deps, account_id)
    assert (me["real_name_status"], me["real_name_reason"]) == (
        "failed",
        "name_mismatch",
    )
    # an outcome that happened before the last change is stale
    assert not apply("verification_passed", later - timedelta(seconds=1))
    assert profile.get_me(deps, account_id)["real_name_status"] == "failed"
    assert apply("verification_review_requested", later + timedelta(seconds=1))
    assert profile.get_me(deps, account_id)["real_name_status"] == "manual_review"
    assert apply(
        "verification_failed",
        later + timedelta(seconds=2),
        reason_code="reviewer_rejected",
        status="rejected",
        final=True,
    )
    assert profile.get_me(deps, account_id)["real_name_status"] == "rejected"
    with deps.repo.transaction():
        bad = outcome("verification_passed", "not-a-uuid", later + timedelta(seconds=3))
        assert not real_name.apply_verification_outcome(deps, bad)
