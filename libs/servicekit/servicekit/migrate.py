"""Create a service's database if it is missing and apply its Alembic migrations.

    python -m servicekit.migrate services/accounts [services/verification ...]

Each service folder has ``alembic.ini`` and ``migrations/``. The database URL is
the service's own ``DB_URL`` setting from its ``config.yml`` (``${VARIABLE:default}``),
so migrations always reach the database the service itself will use.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url


def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if it does not exist; True if created."""
    target = make_url(url)
    admin = sa.create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            ).scalar()
            if not exists:
                quoted = conn.dialect.identifier_preparer.quote(target.database)
                conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
                return True
            return False
    finally:
        admin.dispose()


_SETTING = re.compile(
    r"^DB_URL:\s*\$\{(?P<var>[^:}]+):?(?P<default>[^}]*)\}\s*$", re.MULTILINE
)


def database_url_for(service_dir: Path) -> str:
    """The service's ``DB_URL`` as its config.yml resolves it in this environment."""
    match = _SETTING.search((service_dir / "config.yml").read_text("utf-8"))
    if match is None:
        raise SystemExit(
            f"{service_dir.name}/config.yml has no DB_URL: ${{VAR:default}}"
        )
    return os.environ.get(match["var"]) or match["default"]


def upgrade(service_dir: Path, url: str) -> None:
    ensure_database(url)
    config = Config(str(service_dir / "alembic.ini"))
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    for folder in argv:
        service_dir = Path(folder).resolve()
        upgrade(service_dir, database_url_for(service_dir))
        print(f"migrated {service_dir.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
