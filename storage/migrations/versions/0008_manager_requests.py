"""manager requests: a manager someone named for themself waits for that manager's acceptance

A link in manager_links gives authority (escalations, changing the person's cases); a person
who names their own manager now only asks (`manager_requests`) until the manager accepts. The
links that exist were set by the people themselves and have been in force: they stay as they
are, accepted. Only a new table, so the upgrade is cheap on both backends.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "manager_requests",
        sa.Column("id", BigId, nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("manager_id", sa.String(length=32), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manager_requests")),
        sa.UniqueConstraint("team_id", "user_id", name=op.f("uq_manager_requests_team_id_user_id")),
    )
    op.create_index("ix_manager_requests_manager", "manager_requests", ["team_id", "manager_id"])


def downgrade() -> None:
    op.drop_index("ix_manager_requests_manager", table_name="manager_requests")
    op.drop_table("manager_requests")
