"""the appellant's ticket, encrypted, so the rejection SMS can carry it

The status look-up needs the appeal id and the ticket; the rejection SMS carried
only the id, and the ticket was kept only as a hash. ``appeals.ticket_enc`` keeps
it encrypted (``servicekit.crypto``, kind ``ticket``) for that SMS. Appeals stored
before have none (their SMS points to the ticket given at submission). 2026-12-06.
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0004", "0003"


def upgrade() -> None:
    op.add_column("appeals", sa.Column("ticket_enc", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("appeals", "ticket_enc")
