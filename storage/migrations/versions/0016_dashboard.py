"""dashboard: indexes for the team page's numbers (bot/team_stats.py)

- ix_contacts_first (case_id, kind, posted_at): a case's first contact is one index seek
  instead of reading every contact of the case from the table (time to first contact, for
  every case opened in twelve weeks).
- ix_notifications_escalation_sent (team_id, sent_at, promise_id) and
  ix_notifications_escalation_promise (promise_id, sent_at), both WHERE kind = 'escalation':
  the promises whose escalations went out in a window, then when each first went out, read
  from the indexes alone (about a third of the outbox; reminders and notes left out).

Plain CREATE INDEX on both backends: built once, a few seconds at a million contacts.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-16 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_contacts_first", "contacts", ["case_id", "kind", "posted_at"])
    op.create_index(
        "ix_notifications_escalation_sent",
        "notifications",
        ["team_id", "sent_at", "promise_id"],
        sqlite_where=sa.text("kind = 'escalation'"),
        postgresql_where=sa.text("kind = 'escalation'"),
    )
    op.create_index(
        "ix_notifications_escalation_promise",
        "notifications",
        ["promise_id", "sent_at"],
        sqlite_where=sa.text("kind = 'escalation'"),
        postgresql_where=sa.text("kind = 'escalation'"),
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_escalation_promise", table_name="notifications")
    op.drop_index("ix_notifications_escalation_sent", table_name="notifications")
    op.drop_index("ix_contacts_first", table_name="contacts")
