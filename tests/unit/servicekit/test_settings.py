"""servicekit.settings: the container config, then the environment, then the
class's defaults; a malformed value names its variable."""

from __future__ import annotations

import pytest
from pydantic import Field
from servicekit.settings import ConfigError, ServiceSettings, WorkSettings, env_names


class Sample(ServiceSettings):
    ttl: int = Field(300, alias="SAMPLE_TTL", ge=1)
    name: str = Field("dev", alias="SAMPLE_NAME")
    on: bool = Field(True, alias="SAMPLE_ON")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in env_names(Sample):
        monkeypatch.delenv(name, raising=False)


def test_defaults_come_from_the_class():
    sample = Sample.from_config({"AMQP_URI": "amqp://x", "max_workers": 3})
    assert (sample.ttl, sample.name, sample.on) == (300, "dev", True)


def test_the_environment_overrides_a_default_and_the_config_overrides_both(
    monkeypatch,
):
    monkeypatch.setenv("SAMPLE_TTL", "120")
    monkeypatch.setenv("SAMPLE_NAME", "from-env")
    sample = Sample.from_config({"SAMPLE_NAME": "from-config"})
    assert (sample.ttl, sample.name) == (120, "from-config")


def test_empty_values_count_as_unset(monkeypatch):
    monkeypatch.setenv("SAMPLE_NAME", "")
    assert Sample.from_config({"SAMPLE_TTL": ""}).ttl == 300
    assert Sample.from_config({}).name == "dev"


@pytest.mark.parametrize("text", ["false", "0", "no", False])
def test_flags_read_yaml_and_text(text):
    assert Sample.from_config({"SAMPLE_ON": text}).on is False


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"SAMPLE_TTL": "many"}, "SAMPLE_TTL must be an integer, not 'many'"),
        ({"SAMPLE_TTL": 0}, "SAMPLE_TTL must be at least 1"),
    ],
)
def test_a_malformed_value_names_its_variable(config, message):
    with pytest.raises(ConfigError, match=message):
        Sample.from_config(config)


def test_defaults_list_every_variable_once():
    assert Sample.defaults() == {
        "SAMPLE_TTL": 300,
        "SAMPLE_NAME": "dev",
        "SAMPLE_ON": True,
    }
    assert WorkSettings.defaults()["WORK_LEASE_SECONDS"] == 60.0


def test_replace_changes_a_copy_without_checks():
    sample = Sample.from_config({})
    assert sample.replace(ttl=0).ttl == 0 and sample.ttl == 300
