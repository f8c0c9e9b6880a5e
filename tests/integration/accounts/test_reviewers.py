"""Reviewer accounts: the temporary password, login-name rules, the CLI."""

from __future__ import annotations

import json

import pytest
from accounts import credentials, login, profile, reviewers
from contracts.errors import InvalidInput, Unauthenticated

from tests.integration.accounts.helpers import log_in

pytestmark = pytest.mark.integration


def test_a_reviewer_must_change_the_temporary_password_first(deps, clock):
    created = reviewers.create_reviewer(deps, "reviewer_one", "李审核")
    answer = log_in(deps, "reviewer_one", created["temporary_password"])
    assert answer["must_change_password"] is True
    assert answer["account"]["role"] == "reviewer"
    session = login.resolve_session(deps, answer["token"])
    assert session["must_change_password"] is True
    credentials.change_password(
        deps,
        session["account_id"],
        session["session_id"],
        created["temporary_password"],
        "Reviewer-Pass-1",
    )
    assert login.resolve_session(deps, answer["token"])["must_change_password"] is False
    me = profile.get_me(deps, session["account_id"])
    assert (me["kind"], me["role"], me["profile"]) == (
        "staff",
        "reviewer",
        {"name": "李审核"},
    )


def test_an_expired_temporary_password_does_not_log_in(deps, clock):
    created = reviewers.create_reviewer(deps, "reviewer_two", "王审核")
    clock.advance(hours=73)
    with pytest.raises(Unauthenticated) as err:
        log_in(deps, "reviewer_two", created["temporary_password"])
    assert err.value.error_code == "temporary_password_expired"


def test_reviewer_login_names_follow_the_rules(deps):
    reviewers.create_reviewer(deps, "reviewer_three", "赵审核")
    with pytest.raises(InvalidInput) as err:
        reviewers.create_reviewer(deps, "REVIEWER_THREE", "又一个")
    assert err.value.details["errors"][0]["code"] == "login_name_taken"


def test_the_cli_creates_a_reviewer(accounts_engine, capsys, tmp_path):
    from accounts import cli

    config = tmp_path / "config.yml"
    config.write_text(
        f"DB_URL: {accounts_engine.url.render_as_string(hide_password=False)}\n"
        "ARGON2_TIME_COST: 1\nARGON2_MEMORY_KIB: 1024\n"
    )

    def create_reviewer(login_name: str, name: str) -> int:
        named = ("--login-name", login_name, "--name", name)
        return cli.main(["--config", str(config), "create-reviewer", *named])

    assert create_reviewer("cli_reviewer", "审核员") == 0
    created = json.loads(capsys.readouterr().out)
    assert (
        created["login_name"] == "cli_reviewer"
        and len(created["temporary_password"]) == 16
    )
    assert create_reviewer("CLI_reviewer", "x") == 1
    assert "login_name_taken" in capsys.readouterr().err
