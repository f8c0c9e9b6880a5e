"""Where each Nameko service's settings are declared: a few keys in config.yml
(Nameko's own and what servicekit's providers read) and the service's settings
class (servicekit.settings), read from the environment."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from servicekit.settings import ServiceSettings, env_names

ROOT = Path(__file__).resolve().parents[2]

SETTINGS_CLASSES = {
    "accounts": "accounts.settings:AccountsSettings",
    "otp": "otp.settings:OtpSettings",
    "verification": "verification.settings:VerificationSettings",
    "recovery": "recovery.settings:RecoverySettings",
    "sso": "sso.settings:SsoSettings",
}

# What config.yml may still hold: Nameko's own keys, and what servicekit's
# providers read from the container config (connections, pools, the relay,
# metrics, the personal-data keys and the environment they are checked against).
KIT_KEYS = frozenset(
    {
        "AMQP_URI",
        "max_workers",
        "LOGGING",
        "DB_URL",
        "DB_POOL_SIZE",
        "DB_PING_AFTER_IDLE_SECONDS",
        "REDIS_URL",
        "REDIS_KEY_PREFIX",
        "METRICS_PORT",
        "METRICS_HOST",
        "OUTBOX_RELAY_INTERVAL",
        "DEPENDENCY_RETRY_AFTER",
        "ENVIRONMENT",
        "PII_KEYS",
        "PII_ACTIVE_KEY_ID",
        "BLIND_INDEX_KEY",
    }
)


def settings_class(service: str) -> type[ServiceSettings]:
    module, name = SETTINGS_CLASSES[service].split(":")
    return getattr(importlib.import_module(module), name)


def config_yml_text(service: str) -> str:
    return (ROOT / "services" / service / "config.yml").read_text()


def config_yml_keys(service: str) -> set[str]:
    return set(
        re.findall(
            r"^([A-Za-z_][A-Za-z0-9_]*):", config_yml_text(service), re.MULTILINE
        )
    )


def config_yml_variables(service: str) -> set[str]:
    lines = [
        line
        for line in config_yml_text(service).splitlines()
        if not line.lstrip().startswith("#")
    ]
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):", "\n".join(lines)))


def service_variables(service: str) -> set[str]:
    """Every environment variable the service reads."""
    return config_yml_variables(service) | env_names(settings_class(service))
