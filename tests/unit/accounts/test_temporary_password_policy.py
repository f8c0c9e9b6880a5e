"""The temporary-password policy as accounts applies it: contracts' generator
always meets accounts' password rule, and the two lifetimes come from settings."""

from __future__ import annotations

from accounts.dependencies import Runtime
from accounts.passwords import password_problems
from contracts.temporary_passwords import generate


def test_every_generated_password_meets_the_password_rule():
    for _ in range(1000):
        assert password_problems(generate(), "li_shenhe") == []


def test_lifetimes_default_to_three_days_for_reviewers_and_one_for_appeals():
    settings = Runtime({}).settings
    assert settings.temporary_password_hours == 72
    assert settings.appeal_temporary_password_hours == 24


def test_lifetimes_are_read_from_the_config():
    settings = Runtime(
        {"TEMPORARY_PASSWORD_HOURS": "48", "APPEAL_TEMPORARY_PASSWORD_HOURS": "12"}
    ).settings
    assert settings.temporary_password_hours == 48
    assert settings.appeal_temporary_password_hours == 12
