"""partial indexes for /metrics: waiting and dead notifications by kind, open cases and promises

GET /metrics counts, at every scrape (every 15 s or so, from each process), the outbox rows
waiting and given up by kind, the open cases, and the open promises and those of them past due.
Each count reads one partial index, which holds only the rows it counts: the cost follows the
work outstanding, not everything ever sent or closed.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (name, table, columns, the rows it holds: None, all)
INDEXES = [
    ("ix_notifications_pending_kind", "notifications", ["kind", "run_at"], "state = 'pending'"),
    ("ix_notifications_dead_kind", "notifications", ["kind"], "state = 'dead'"),
    ("ix_cases_state", "cases", ["state"], None),
    ("ix_promises_open_due_at", "promises", ["due_at"], "state = 'open'"),
]


def upgrade() -> None:
    for name, table, columns, where in INDEXES:
        partial = {} if where is None else {f"{d}_where": sa.text(where) for d in ("sqlite", "postgresql")}
        op.create_index(name, table, columns, **partial)


def downgrade() -> None:
    for name, table, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)
