from servicekit.alembic_env import run_migrations
from verification.models import metadata

run_migrations(metadata)
