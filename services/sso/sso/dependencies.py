"""What the service builds from its settings at start (``servicekit.providers``)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from servicekit.clock import utc_now
from servicekit.settings import ConfigError
from sqlalchemy.orm import Session

from sso import clients
from sso.settings import DEV_CLIENTS_FILE, SsoSettings


def settings_and_clients(config: dict) -> SsoSettings:
    """The settings (``SsoSettings``), after loading ``SSO_CLIENTS_FILE`` into the
    clients table: a bad file stops the service at start. Copies starting together
    upsert the same rows, which is harmless."""
    settings = SsoSettings.from_config(config)
    production = config.get("ENVIRONMENT") == "production"
    if production and Path(settings.clients_file).resolve() == DEV_CLIENTS_FILE:
        raise ConfigError(
            "SSO_CLIENTS_FILE: production refuses the development clients (their "
            "secrets are published)"
        )
    registrations = clients.read_file(settings.clients_file)
    engine = sa.create_engine(config["DB_URL"], poolclass=sa.pool.NullPool)
    try:
        with Session(engine) as session, session.begin():
            now = utc_now()
            for registration in registrations:
                clients.register(session, registration, now)
    finally:
        engine.dispose()
    return settings
