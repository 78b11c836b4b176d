"""retention: event payloads may be cleared; pending deletions of removed workspaces

What Slack sent with an event is cleared once it is handled and older than RETENTION's payloads
(the row stays a while longer), so `inbound_events.payload` may be NULL now, and a partial index
finds the payloads still kept. A workspace that removes the app is recorded in
`workspace_deletions`: its data goes after UNINSTALL_GRACE unless it installs again.

On SQLite dropping NOT NULL rebuilds `inbound_events` (copy, drop, rename): a moment's write
pause proportional to the events kept (at most RETENTION's history of them). Its partial index
is made again after the copy, as the copy would not carry its WHERE clause over.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECEIVED = sa.text("state = 'received'")
KEPT = sa.text("payload IS NOT NULL")


def upgrade() -> None:
    _set_payload_nullable(True)
    op.create_index(
        "ix_inbound_events_payload_kept",
        "inbound_events",
        ["received_at"],
        sqlite_where=KEPT,
        postgresql_where=KEPT,
    )
    op.create_table(
        "workspace_deletions",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("uninstalled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delete_after", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_workspace_deletions")),
    )


def downgrade() -> None:
    op.drop_table("workspace_deletions")
    op.drop_index("ix_inbound_events_payload_kept", table_name="inbound_events")
    op.execute(sa.text("UPDATE inbound_events SET payload = '{}' WHERE payload IS NULL"))
    _set_payload_nullable(False)


def _set_payload_nullable(nullable: bool) -> None:
    # PostgreSQL alters the column in place; SQLite copies the table, which would lose the
    # partial index's WHERE clause: it is made again after the copy.
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.drop_index("ix_inbound_events_received", table_name="inbound_events")
    with op.batch_alter_table("inbound_events") as batch_op:
        batch_op.alter_column("payload", existing_type=sa.JSON(), nullable=nullable)
    if sqlite:
        op.create_index(
            "ix_inbound_events_received", "inbound_events", ["received_at"], sqlite_where=RECEIVED
        )
