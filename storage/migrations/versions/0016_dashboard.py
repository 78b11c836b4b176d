"""dashboard: sign-in links and browser sessions; people's names and pictures; indexes for the
team page

The web dashboard (issue 16) signs people in with a one-time link from `/case dashboard` (or
Sign in with Slack) and keeps a session per browser: two new tables holding only hashes of the
secrets. It shows people by the name and picture Slack has for them: two nullable columns on
`people`, filled at the next lookup.

The team page's numbers (bot/team_stats.py):
- cases.first_contact_at, filled from the contacts: time to first contact reads one column per
  case instead of looking up each case's contacts (the largest part of the page at 100k cases).
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

All additions; plain CREATE INDEX on both backends, built once, a few seconds at a million
contacts.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_sign_in_links")),
    )
    op.create_index("ix_sign_in_links_expires_at", "sign_in_links", ["expires_at"])
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_sessions")),
    )
    op.create_index("ix_web_sessions_expires_at", "web_sessions", ["expires_at"])
    op.create_index("ix_web_sessions_user", "web_sessions", ["team_id", "user_id"])
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("avatar_url", sa.String(length=500), nullable=True))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("first_contact_at", sa.DateTime(timezone=True), nullable=True))
    # The earliest contact of each case (not an internal note), as bot/cases.reached keeps it
    # from now on.
    op.execute(
        "UPDATE cases SET first_contact_at = (SELECT min(contacts.posted_at) FROM contacts"
        " WHERE contacts.case_id = cases.id AND contacts.kind = 'contact')"
    )
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
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("first_contact_at")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("avatar_url")
        batch.drop_column("name")
    op.drop_index("ix_web_sessions_user", table_name="web_sessions")
    op.drop_index("ix_web_sessions_expires_at", table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index("ix_sign_in_links_expires_at", table_name="sign_in_links")
    op.drop_table("sign_in_links")
