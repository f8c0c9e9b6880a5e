from servicekit.alembic_env import run_migrations
from sso.models import metadata

run_migrations(metadata)
