"""interactions: a person's forms, clicks and commands, so that the same one twice changes
nothing twice (a form submitted again, a double click, a command retried after an error)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "interactions",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_interactions")),
    )
    op.create_index("ix_interactions_seen_at", "interactions", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_interactions_seen_at", table_name="interactions")
    op.drop_table("interactions")
