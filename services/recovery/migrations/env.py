from recovery.models import metadata
from servicekit.alembic_env import run_migrations

run_migrations(metadata)
