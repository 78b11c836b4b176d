"""indexes on contacts.case_id and notifications.case_id; cases.category_key

Reading one case's contacts (the card's count, `/case show`, time to first contact in reports)
and one case's messages (the audit export) scanned the whole table: neither foreign key had an
index. Both are plain CREATE INDEX on both backends.

Recurring categories are compared by a stored key (case and spacing folded in Python), because
SQLite's lower() folds only ASCII letters. Existing closed cases get theirs here.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_contacts_case_id", "contacts", ["case_id"])
    op.create_index("ix_notifications_case_id", "notifications", ["case_id"])
    op.add_column("cases", sa.Column("category_key", sa.String(length=80), nullable=True))
    connection = op.get_bind()
    cases = sa.table(
        "cases",
        sa.column("id", sa.Integer),
        sa.column("category", sa.String),
        sa.column("category_key", sa.String),
    )
    for case_id, category in connection.execute(
        sa.select(cases.c.id, cases.c.category).where(cases.c.category.is_not(None))
    ):
        # The same folding as bot/cases.category_key, written out: a migration must not change
        # when the code does.
        connection.execute(
            cases.update()
            .where(cases.c.id == case_id)
            .values(category_key=" ".join(category.split()).casefold())
        )


def downgrade() -> None:
    # Not batch mode: rebuilding `cases` on SQLite would drop the search triggers of 0005.
    op.execute("ALTER TABLE cases DROP COLUMN category_key")
    op.drop_index("ix_notifications_case_id", table_name="notifications")
    op.drop_index("ix_contacts_case_id", table_name="contacts")
