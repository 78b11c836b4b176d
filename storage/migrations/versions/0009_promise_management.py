"""cancelled promises and internal notes

A promise may be called off with a reason (state `cancelled`, which needs no DDL: states are
stored as strings without a constraint), so it records when, by whom and why; a reply in a case
thread may be an internal note rather than a customer contact. Only new nullable columns and
one with a server default, so the upgrade is cheap on both backends and old rows read as what
they were (every existing reply is a contact).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("promises", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("promises", sa.Column("cancelled_by", sa.String(length=32), nullable=True))
    op.add_column("promises", sa.Column("cancel_reason", sa.Text(), nullable=True))
    op.add_column(
        "contacts", sa.Column("kind", sa.String(length=24), server_default="contact", nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("promises") as batch:
        batch.drop_column("cancel_reason")
        batch.drop_column("cancelled_by")
        batch.drop_column("cancelled_at")
