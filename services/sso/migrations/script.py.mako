"""${message} (${create_date})"""

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}

# branch_labels and depends_on are left out: this project's history is one line.
revision, down_revision = ${repr(up_revision)}, ${repr(down_revision)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
