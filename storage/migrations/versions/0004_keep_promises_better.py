"""customer time zone, suggested times, digest schedules, recurring flags, report indexes

What issue 5 needs: a case may carry its customer's time zone; a promise keeps the safer time
the bot suggested; a person may choose when their weekly digest comes; a recurring category
flagged to managers is recorded so it is flagged once; and reports read cases by when they
were opened or closed and promises by their due time. Only new columns (nullable), a new table
and indexes, so the upgrade is cheap on both backends.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("cases", sa.Column("customer_tz", sa.String(length=64), nullable=True))
    op.add_column("promises", sa.Column("suggested_due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("people", sa.Column("digest_schedule", sa.String(length=40), nullable=True))
    op.create_table(
        "recurring_flags",
        sa.Column("id", BigId, nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("category_key", sa.String(length=80), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=False),
        sa.Column("case_ids", sa.JSON(), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_flags")),
    )
    op.create_index(
        "ix_recurring_flags_category", "recurring_flags", ["team_id", "category_key", "flagged_at"]
    )
    op.create_index("ix_cases_team_opened", "cases", ["team_id", "opened_at"])
    op.create_index("ix_cases_team_closed", "cases", ["team_id", "closed_at"])
    op.create_index("ix_promises_due_at", "promises", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_promises_due_at", table_name="promises")
    op.drop_index("ix_cases_team_closed", table_name="cases")
    op.drop_index("ix_cases_team_opened", table_name="cases")
    op.drop_index("ix_recurring_flags_category", table_name="recurring_flags")
    op.drop_table("recurring_flags")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("digest_schedule")
    with op.batch_alter_table("promises") as batch:
        batch.drop_column("suggested_due_at")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("customer_tz")
