"""inbound events are claimed by the worker that handles them (inbound_events.claimed_until)

Events used to be handled in the web process that received them. They are now handled by the
worker: the web process only records each one and answers Slack, so an ack never waits for the
interpreter behind event work. Several workers may poll the inbox, so a worker claims the
events it takes for a while (a lease): a crashed worker's claims run out and another takes them
up, which is also how an event whose handling died is re-driven. Existing rows start unclaimed.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inbound_events", sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_events") as batch:
        batch.drop_column("claimed_until")
