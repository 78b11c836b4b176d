"""case search: a full-text index over the cases' customer, numbers and summary

`/case find` and the customer history on the case card read it (storage/search.py says how
each backend's index splits text into terms). Existing cases are indexed by the upgrade itself.

- SQLite: an FTS5 table with the `cases` table as its content, and triggers that keep it in
  step. A later migration that rebuilds `cases` in batch mode (copy, drop, rename) drops these
  triggers with the old table: it must create them again and rebuild the index.
- PostgreSQL: a GIN index on a tsvector expression. Building it reads every existing case; on a
  very large table run the upgrade when a short write pause on `cases` is acceptable.

The expression below must stay exactly storage.search.PG_VECTOR: the planner uses the index
only for a query that spells the same expression (tests/test_find.py checks the plan).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "customer, summary, account_ref, order_ref, tracking_ref"
PUNCTUATION = "'[!-/:-@[-`{-~]+'"
PG_VECTOR = (
    "(setweight(to_tsvector('simple'::regconfig, regexp_replace("
    "coalesce(customer, '') || ' ' || coalesce(account_ref, '') || ' ' || coalesce(order_ref, '')"
    f" || ' ' || coalesce(tracking_ref, ''), {PUNCTUATION}, ' ', 'g')), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, regexp_replace("
    f"coalesce(summary, ''), {PUNCTUATION}, ' ', 'g')), 'C'))"
)


def _values(row: str) -> str:
    return ", ".join(f"{row}.{column.strip()}" for column in COLUMNS.split(","))


def _index(row: str) -> str:
    return f"INSERT INTO cases_fts(rowid, {COLUMNS}) VALUES ({row}.id, {_values(row)});"


def _unindex(row: str) -> str:
    # External content: the index is told the old values to take out.
    return f"INSERT INTO cases_fts(cases_fts, rowid, {COLUMNS}) VALUES ('delete', {row}.id, {_values(row)});"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"CREATE VIRTUAL TABLE cases_fts USING fts5({COLUMNS}, content='cases', content_rowid='id',"
            " tokenize='unicode61 remove_diacritics 0', prefix='2 3')"
        )
        op.execute(f"CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases BEGIN {_index('new')} END")
        op.execute(f"CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases BEGIN {_unindex('old')} END")
        # Only changes to the searched columns touch the index (a card's version bump doesn't).
        op.execute(
            f"CREATE TRIGGER cases_fts_update AFTER UPDATE OF {COLUMNS} ON cases"
            f" BEGIN {_unindex('old')} {_index('new')} END"
        )
        # The cases that exist already.
        op.execute("INSERT INTO cases_fts(cases_fts) VALUES ('rebuild')")
    else:
        op.execute(f"CREATE INDEX ix_cases_search ON cases USING gin ({PG_VECTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("cases_fts_update", "cases_fts_delete", "cases_fts_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS cases_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_cases_search")
