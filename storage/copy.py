"""Copying every row of one database into another of the same schema revision (a SQLite install
moving to PostgreSQL: `python -m bot copy-db`, bot/ops/copy_db.py).

Every table the target's migrations made is copied, parents before children, in primary-key
order and in batches, through the models' own column types where the table has a model (so
times go in as the aware UTC the bot wrote, not as SQLite's bare text). What is not copied:
- alembic's version: both sides must be at the same revision already (compared, not copied);
- SQLite's search index (`cases_fts` and its shadow tables): PostgreSQL's is an index over the
  `cases` rows themselves (storage/search.py), so it fills as they go in.
Sequences are moved past the highest id copied, so the next case gets the next number."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, MetaData, Table, func, inspect, select, text
from sqlalchemy.engine import make_url

from storage.schema_check import current_revision, head_revision
from storage.search import is_search_object
from storage.tables import metadata

VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class Count:
    table: str
    source: int
    target: int

    @property
    def matches(self) -> bool:
        return self.source == self.target


def shown(url: str) -> str:
    """The URL as it may be printed: no password, in the user part or the query."""
    parsed = make_url(url)
    if "password" in parsed.query:
        parsed = parsed.update_query_dict({"password": "***"})
    return parsed.render_as_string(hide_password=True)


def revisions(engine: Engine) -> tuple[str | None, str]:
    """(the database's revision, the code's newest)."""
    with engine.connect() as connection:
        return current_revision(connection), head_revision()


def tables(target: Engine) -> list[Table]:
    """The tables to copy, parents first: those the target has, by the models where there is
    one (their column types), else as the target's own definition."""
    reflected = MetaData()
    reflected.reflect(target)
    ordered = [t for t in reflected.sorted_tables if t.name != VERSION_TABLE]
    return [metadata.tables.get(table.name, table) for table in ordered]


def left_behind(source: Engine, copied: list[Table]) -> list[str]:
    """Tables of the source that are neither copied nor SQLite's own or its search index."""
    names = {table.name for table in copied} | {VERSION_TABLE}
    return sorted(
        name
        for name in inspect(source).get_table_names()
        if name not in names and not name.startswith("sqlite_") and not is_search_object(name, "table")
    )


def counts(connection: Connection, copied: list[Table]) -> dict[str, int]:
    return {
        table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for table in copied
    }


def compare(source: Connection, target: Connection, copied: list[Table]) -> list[Count]:
    before, after = counts(source, copied), counts(target, copied)
    return [Count(table.name, before[table.name], after[table.name]) for table in copied]


def copy_table(source: Connection, target: Connection, table: Table, *, batch: int) -> Iterator[int]:
    """Copy `table`'s rows, `batch` at a time, yielding how many each batch held. Rows are read
    as a stream, so a big table never sits in memory whole."""
    order = list(table.primary_key.columns) or list(table.columns)
    result = source.execution_options(yield_per=batch).execute(select(table).order_by(*order))
    for rows in result.partitions():
        target.execute(table.insert(), [dict(row._mapping) for row in rows])
        yield len(rows)


def fix_sequences(target: Connection, copied: list[Table]) -> int:
    """PostgreSQL: every column's sequence moved on to just past its highest value, so new rows
    don't collide with copied ids. Returns how many sequences were set."""
    quote = target.dialect.identifier_preparer.quote
    fixed = 0
    for table in copied:
        for column in table.columns:
            sequence = target.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": quote(table.name), "column": column.name},
            ).scalar_one()
            if sequence is None:
                continue
            highest = target.execute(select(func.max(table.c[column.name]))).scalar_one()
            target.execute(
                text("SELECT setval(:sequence, :value, :called)"),
                {"sequence": sequence, "value": highest or 1, "called": highest is not None},
            )
            fixed += 1
    return fixed
