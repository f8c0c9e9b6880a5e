"""The small rules of agents (flow 7) that need no database: how an agent's name
is shown to the organisation, and the settings read from config.yml."""

from __future__ import annotations

import pytest
from accounts.dependencies import Runtime
from contracts.masking import mask_name


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("张伟", "张*"),
        ("欧阳娜娜", "欧***"),
        ("王", "*"),
        (" 李娜 ", "李*"),
        ("John Smith", "J*********"),
    ],
)
def test_an_agent_name_shows_its_first_character_only(name, shown):
    assert mask_name(name) == shown


def test_agent_settings_default_to_twenty_verified_only():
    settings = Runtime({}).settings
    assert settings.agents_per_organization == 20
    assert settings.agents_require_verified_organization is True


@pytest.mark.parametrize(
    ("value", "required"),
    [(False, False), ("false", False), ("0", False), ("no", False), (True, True)],
)
def test_the_verified_organisation_rule_reads_yaml_and_text(value, required):
    config = {"AGENTS_REQUIRE_VERIFIED_ORGANIZATION": value}
    assert Runtime(config).settings.agents_require_verified_organization is required


def test_the_cap_is_configurable():
    assert (
        Runtime({"AGENTS_PER_ORGANIZATION": "3"}).settings.agents_per_organization == 3
    )
