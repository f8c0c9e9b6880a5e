from servicekit.alembic_env import run_migrations

from accounts.models import metadata

run_migrations(metadata)
