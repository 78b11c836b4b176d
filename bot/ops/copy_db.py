"""`python -m bot copy-db --to postgresql+psycopg://…`: move a SQLite install to PostgreSQL.

Copies every row of the SQLite database the bot uses (DATABASE_URL, from the environment or the
working directory's .env) into an empty PostgreSQL database already migrated to the same
revision, then compares the row counts of every table and prints them. All of it is one
PostgreSQL transaction: a copy that fails or doesn't add up leaves the target as empty as it
was, so it can simply be run again. Refuses a target that has any rows (there is no --force:
merging two installs would clash on every id; drop and re-create the target to start over), a
source not at the newest migration, and a source a worker is still writing to. Passwords are
never printed. Talks to no Slack."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import NoReturn

from sqlalchemy import Connection, Engine, Table

from bot.app import environment, sharing
from bot.app.logs import Redactor
from bot.app.settings import Settings, SettingsError
from bot.clock import SystemClock
from bot.ops import database, progress
from storage import copy

PROG = "python -m bot copy-db"
BATCH = 1000
STEPS = (
    "Stop the bot, then: DATABASE_URL=postgresql+psycopg://… python -m bot migrate (the target),"
    " python -m bot copy-db --to postgresql+psycopg://…, point DATABASE_URL at PostgreSQL and"
    " start the bot. README → 'Moving from SQLite to PostgreSQL'."
)


class Refused(Exception):
    """Why the copy can't be made: one line on stderr, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise Refused(message)


def _parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="Copy this SQLite install (DATABASE_URL) into an empty, migrated PostgreSQL"
        " database, every table, then compare the row counts of each.",
        epilog=STEPS,
    )
    parser.add_argument(
        "--to", required=True, help="the PostgreSQL URL (postgresql+psycopg://user:password@host/db)"
    )
    parser.add_argument("--batch", type=int, default=BATCH, help=f"rows read and written at a time ({BATCH})")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress on stderr (default: only when stderr is a terminal)",
    )
    return parser


def main(argv: Sequence[str]) -> int:
    environment.load()
    redact = Redactor()
    try:
        args = _parser().parse_args(list(argv))
        settings = Settings.from_env()
        target_url = _target(args.to)
        redact = Redactor([*settings.secrets(), *Settings.from_env({"DATABASE_URL": target_url}).secrets()])
        _check_source(settings)
        return _copy(settings.database_url, target_url, args, redact)
    except (Refused, SettingsError) as error:
        print(redact(f"{PROG}: {error}"), file=sys.stderr)
        return 2


def _target(to: str) -> str:
    try:
        url = Settings.from_env({"DATABASE_URL": to}).database_url
    except SettingsError as error:
        raise Refused(f"--to: {str(error).removeprefix('DATABASE_URL ')}") from None
    if not url.startswith("postgresql"):
        raise Refused("--to must be a PostgreSQL URL (postgresql+psycopg://user:password@host/db)")
    return url


def _check_source(settings: Settings) -> None:
    if not settings.is_sqlite:
        raise Refused("DATABASE_URL is not SQLite: copy-db moves a SQLite install to PostgreSQL")
    problem = database.problem(settings)
    if problem:
        raise Refused(f"the SQLite database: {problem}")
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        running = sharing.worker_missing(db, SystemClock().now(), "source") is None
    finally:
        db.dispose()
    if running:
        raise Refused(
            f"a worker is still running on {sharing.sqlite_path(settings)} (it was seen in the last"
            f" {int(sharing.SEEN_WITHIN.total_seconds() // 60)} minutes): stop the bot first, so"
            " nothing is written after the copy"
        )


def _copy(source_url: str, target_url: str, args: argparse.Namespace, redact: Redactor) -> int:
    from sqlalchemy.exc import OperationalError

    from storage.db import make_engine

    source, target = make_engine(source_url, read_only=True), make_engine(target_url)
    try:
        try:
            tables = _check_target(target, target_url)
        except OperationalError as error:
            reason = str(error.orig or error).strip().splitlines()[0]
            raise Refused(f"can't reach the target {copy.shown(target_url)}: {reason}") from None
        with source.connect() as reading, target.begin() as writing:
            started = time.monotonic()
            for name in copy.left_behind(source, tables):
                print(f"{PROG}: not copied: {name} (a table the migrations don't make)", file=sys.stderr)
            total = _copy_rows(reading, writing, tables, args)
            copy.fix_sequences(writing, tables)
            compared = copy.compare(reading, writing, tables)
            _print_counts(compared, copy.revisions(source)[0])
            wrong = [count for count in compared if not count.matches]
            if wrong:
                writing.rollback()
                for count in wrong:
                    print(
                        f"{PROG}: {count.table}: {count.source} rows in SQLite, {count.target} copied",
                        file=sys.stderr,
                    )
                print(f"{PROG}: the counts differ; nothing was kept in the target", file=sys.stderr)
                return 1
        print(
            redact(
                f"Copied {total} rows in {len(tables)} tables to {copy.shown(target_url)} in"
                f" {time.monotonic() - started:.1f}s. Now point DATABASE_URL at it and start the bot."
            )
        )
        return 0
    finally:
        source.dispose()
        target.dispose()


def _check_target(target: Engine, target_url: str) -> list[Table]:
    current, head = copy.revisions(target)
    if current != head:
        raise Refused(
            f"the target {copy.shown(target_url)} is at {current or 'no migration'}, the code needs"
            f" {head}: migrate it first (DATABASE_URL=<the target> python -m bot migrate)"
        )
    tables = copy.tables(target)
    with target.connect() as connection:
        filled = {name: rows for name, rows in copy.counts(connection, tables).items() if rows}
    if filled:
        listed = ", ".join(f"{name} ({rows})" for name, rows in sorted(filled.items()))
        raise Refused(
            f"the target {copy.shown(target_url)} already has data: {listed}. copy-db only fills an"
            " empty database; to start over, drop and re-create it and migrate it again"
        )
    return tables


def _copy_rows(
    reading: Connection, writing: Connection, tables: list[Table], args: argparse.Namespace
) -> int:
    total = 0
    for table in progress.track(tables, total=len(tables), what="copy", show=progress.wanted(args.progress)):
        for rows in copy.copy_table(reading, writing, table, batch=max(1, args.batch)):
            total += rows
    return total


def _print_counts(compared: list[copy.Count], revision: str | None) -> None:
    width = max(len(name) for name in [*(count.table for count in compared), "alembic_version"])
    print(f"{'table':<{width}}  {'sqlite':>8}  {'postgresql':>10}")
    for count in compared:
        mark = "" if count.matches else "  differs"
        print(f"{count.table:<{width}}  {count.source:>8}  {count.target:>10}{mark}")
    print(f"{'alembic_version':<{width}}  {revision or '-':>8}  {revision or '-':>10}")
    print("(SQLite's search index, cases_fts, is not copied: PostgreSQL's is built from the cases rows)")
