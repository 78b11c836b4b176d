"""case details, escalation chains, reschedules, card versions, working hours

What the Slack-native case needs (issue 4): the customer's numbers, priority and how they first
got in touch; the resolution's recurrence and category; a version the case card is redrawn
from; each promise's frozen escalation chain, who acknowledged it, and what replaced it when it
was rescheduled; a contact's medium; a person's own working hours. Every new column is
nullable or has a server default, so the upgrade is an ADD COLUMN on both backends.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=False, length=24)


def upgrade() -> None:
    op.add_column(
        "cases",
        sa.Column(
            "priority",
            _enum("casepriority", "low", "normal", "high", "urgent"),
            server_default="normal",
            nullable=False,
        ),
    )
    for name, length in (("account_ref", 100), ("order_ref", 100), ("tracking_ref", 100)):
        op.add_column("cases", sa.Column(name, sa.String(length=length), nullable=True))
    op.add_column("cases", sa.Column("first_contact_via", sa.String(length=24), nullable=True))
    op.add_column("cases", sa.Column("recurrence", _enum("recurrence", "single", "recurring"), nullable=True))
    op.add_column("cases", sa.Column("category", sa.String(length=80), nullable=True))
    op.add_column("cases", sa.Column("version", sa.Integer(), server_default="0", nullable=False))

    op.add_column("contacts", sa.Column("via", sa.String(length=24), nullable=True))
    op.add_column("people", sa.Column("working_hours", sa.String(length=60), nullable=True))

    op.add_column(
        "promises", sa.Column("escalation_chain", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
    )
    op.add_column("promises", sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("promises", sa.Column("acknowledged_by", sa.String(length=32), nullable=True))
    if op.get_context().dialect.name == "sqlite":
        # SQLite can add a column that references another table, but not a constraint on its
        # own; Alembic's batch mode would rebuild the table, which foreign keys forbid.
        op.execute("ALTER TABLE promises ADD COLUMN replaces_id INTEGER REFERENCES promises (id)")
    else:
        op.add_column("promises", sa.Column("replaces_id", BigId, nullable=True))
        op.create_foreign_key(
            "fk_promises_replaces_id_promises", "promises", "promises", ["replaces_id"], ["id"]
        )
    op.add_column("promises", sa.Column("rescheduled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("promises", sa.Column("rescheduled_by", sa.String(length=32), nullable=True))
    op.add_column("promises", sa.Column("reschedule_note", sa.Text(), nullable=True))
    op.add_column("promises", sa.Column("customer_told", sa.Boolean(), nullable=True))


def downgrade() -> None:
    for column in (
        "customer_told",
        "reschedule_note",
        "rescheduled_by",
        "rescheduled_at",
        "replaces_id",
        "acknowledged_by",
        "acknowledged_at",
        "escalation_chain",
    ):
        with op.batch_alter_table("promises") as batch_op:
            batch_op.drop_column(column)
    with op.batch_alter_table("people") as batch_op:
        batch_op.drop_column("working_hours")
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_column("via")
    with op.batch_alter_table("cases") as batch_op:
        for column in (
            "version",
            "category",
            "recurrence",
            "first_contact_via",
            "tracking_ref",
            "order_ref",
            "account_ref",
            "priority",
        ):
            batch_op.drop_column(column)
