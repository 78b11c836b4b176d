"""indexes on contacts.case_id and notifications.case_id

Reading one case's contacts (the card's count, `/case show`, time to first contact in reports)
and one case's messages (the audit export) scanned the whole table: neither foreign key had an
index. Both are plain CREATE INDEX on both backends.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 16:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_contacts_case_id", "contacts", ["case_id"])
    op.create_index("ix_notifications_case_id", "notifications", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_notifications_case_id", table_name="notifications")
    op.drop_index("ix_contacts_case_id", table_name="contacts")
