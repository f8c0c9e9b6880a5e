"""Settings: the defaults of the issue, and the combinations that must not run."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from nameko.cli.main import setup_yaml_parser
from otp.settings import DEV_HMAC_KEY, ConfigError, settings_from_config

CONFIG = Path(__file__).resolve().parents[3] / "services" / "otp" / "config.yml"
SECRET = "s" * 40


def load_config(monkeypatch, **env) -> dict:
    """config.yml as ``nameko run`` reads it, with only ``env`` set."""
    import os

    for name in list(os.environ):
        if name.startswith(("OTP_", "SMS_", "ENVIRONMENT")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    setup_yaml_parser()
    return yaml.safe_load(CONFIG.read_text())


def test_config_yml_defaults_are_the_issue_s_numbers(monkeypatch):
    settings = settings_from_config(load_config(monkeypatch))
    assert settings.environment == "dev"
    assert (settings.code_ttl, settings.code_max_tries, settings.captcha_ttl) == (
        300,
        5,
        300,
    )
    limits = settings.limits
    assert (limits.cooldown, limits.phone_per_hour, limits.phone_per_day) == (60, 5, 10)
    assert limits.client_per_hour == 30 and limits.global_per_day == 100_000
    assert settings.sms_provider == "outbox"


def test_every_setting_comes_from_the_environment(monkeypatch):
    settings = settings_from_config(
        load_config(
            monkeypatch,
            OTP_CODE_TTL="120",
            OTP_RESEND_COOLDOWN="0",
            OTP_PHONE_PER_HOUR="3",
            OTP_CLIENT_PER_HOUR="7",
            OTP_GLOBAL_PER_DAY="9",
            SMS_PROVIDER="log",
            SMS_WORKERS="0",
        )
    )
    assert settings.code_ttl == 120
    assert settings.limits.cooldown == 0 and settings.limits.phone_per_hour == 3
    assert settings.limits.client_per_hour == 7 and settings.limits.global_per_day == 9
    assert settings.sms_provider == "log" and settings.sms_workers == 0


@pytest.mark.parametrize(
    "config, message",
    [
        ({"ENVIRONMENT": "production", "SMS_PROVIDER": "log"}, "development"),
        (
            {
                "ENVIRONMENT": "production",
                "OTP_HMAC_KEY": DEV_HMAC_KEY,
                "SMS_PROVIDER": "log",
            },
            "development",
        ),
        ({"ENVIRONMENT": "production", "OTP_HMAC_KEY": SECRET}, "SMS_PROVIDER"),
        (
            {
                "ENVIRONMENT": "production",
                "OTP_HMAC_KEY": SECRET,
                "SMS_PROVIDER": "outbox",
            },
            "outbox",
        ),
        (
            {
                "ENVIRONMENT": "production",
                "OTP_HMAC_KEY": SECRET,
                "SMS_PROVIDER": "log",
                "SMS_OUTBOX_FAILURES": 2,
            },
            "fault",
        ),
        ({"OTP_HMAC_KEY": "short"}, "at least 32"),
        ({"ENVIRONMENT": "staging"}, "ENVIRONMENT"),
        ({"SMS_PROVIDER": "pigeon"}, "SMS_PROVIDER"),
        ({"OTP_CAPTCHA_LENGTH": 7}, "4 to 6"),
        ({"OTP_CAPTCHA_LENGTH": 3}, "at least 4"),
        ({"OTP_PHONE_PER_HOUR": "many"}, "integer"),
        ({"OTP_PHONE_PER_HOUR": 0}, "at least 1"),
    ],
)
def test_unsafe_or_malformed_settings_refuse_to_start(config, message):
    with pytest.raises(ConfigError, match=message):
        settings_from_config(config)


def test_production_starts_with_a_secret_and_a_real_provider():
    settings = settings_from_config(
        {"ENVIRONMENT": "production", "OTP_HMAC_KEY": SECRET, "SMS_PROVIDER": "log"}
    )
    assert not settings.dev_helpers


def test_a_key_prefix_and_a_secret_stay_text(monkeypatch):
    """YAML would read "t1a2b:" as a mapping; config.yml reads both raw."""
    config = load_config(
        monkeypatch, REDIS_KEY_PREFIX="t1a2b:", OTP_HMAC_KEY="k: " + "x" * 40
    )
    assert config["REDIS_KEY_PREFIX"] == "t1a2b:"
    assert settings_from_config(config).hmac_key == "k: " + "x" * 40
