"""dashboard: indexes for the team page's numbers (bot/team_stats.py)

- ix_promises_due_outcome: the promises due in twelve weeks with every column outcome() reads,
  from the index alone (it has ix_promises_due_at's column first, so `/case report` uses it
  too; ix_promises_due_at could go).
- ix_cases_recurring_closed WHERE recurrence = 'recurring': the recurring closes of a window
  with their category and owner, from the index alone.
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
    op.create_index(
        "ix_promises_due_outcome",
        "promises",
        [
            "due_at",
            "case_id",
            "owner_id",
            "state",
            "kept_at",
            "remind_at",
            "rescheduled_at",
            "customer_told",
            "cancelled_at",
        ],
    )
    op.create_index(
        "ix_cases_recurring_closed",
        "cases",
        ["team_id", "closed_at", "category_key", "owner_id", "category"],
        sqlite_where=sa.text("recurrence = 'recurring'"),
        postgresql_where=sa.text("recurrence = 'recurring'"),
    )
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
    op.drop_index("ix_cases_recurring_closed", table_name="cases")
    op.drop_index("ix_promises_due_outcome", table_name="promises")
