from servicekit.alembic_env import run_migrations

from recovery.models import metadata

run_migrations(metadata)
