"""Reads for the audit export (bot/export.py): cases in pages by id, and everything hanging off
one page of cases in one statement per table, never a statement per case.

The export reads a live database that the bot keeps writing, so it reads through an engine of
its own: read-only, and on SQLite with a plain (deferred) BEGIN instead of the bot's BEGIN
IMMEDIATE, which would hold the one write lock for as long as a page takes and make every
command and thread reply wait behind an operator's export."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, create_engine, event, exists, func, or_, select

from storage.models import AuditEntry, Case, Contact, ContactRevision, Notification, Promise


def read_only_engine(database_url: str) -> Engine:
    """An engine whose transactions only read and never block the bot's writers."""
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA query_only=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin_deferred(connection):  # type: ignore[no-untyped-def]
            # In WAL mode a deferred transaction reads one snapshot and takes no write lock.
            connection.exec_driver_sql("BEGIN")

        return engine
    # REPEATABLE READ: every statement of one page sees the same snapshot, so a promise kept
    # between two statements can't appear kept in one list and open in another.
    return create_engine(database_url, pool_pre_ping=True).execution_options(
        isolation_level="REPEATABLE READ", postgresql_readonly=True
    )


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """One read transaction: one consistent view of the database."""
    with engine.connect() as connection, connection.begin():
        yield connection


def _selected(team_id: str | None, since: datetime | None) -> list[Any]:
    conditions: list[Any] = []
    if team_id is not None:
        conditions.append(Case.team_id == team_id)
    if since is not None:
        # Opened, closed or changed (anything on its audit trail) since then.
        changed = exists().where(AuditEntry.case_id == Case.id, AuditEntry.at >= since)
        conditions.append(or_(Case.opened_at >= since, Case.closed_at >= since, changed))
    return conditions


def count_cases(connection: Connection, *, team_id: str | None, since: datetime | None) -> int:
    return connection.execute(
        select(func.count()).select_from(Case).where(*_selected(team_id, since))
    ).scalar_one()


def cases_after(
    connection: Connection, *, after_id: int, limit: int, team_id: str | None, since: datetime | None
) -> Sequence[Row]:
    """The next page of cases by id (keyset: no OFFSET, so page 200 costs what page 1 does)."""
    return connection.execute(
        select(Case.__table__)
        .where(Case.id > after_id, *_selected(team_id, since))
        .order_by(Case.id)
        .limit(limit)
    ).all()


def case_row(connection: Connection, case_id: int, team_id: str | None) -> Row | None:
    statement = select(Case.__table__).where(Case.id == case_id)
    if team_id is not None:
        statement = statement.where(Case.team_id == team_id)
    return connection.execute(statement).first()


def contacts_of(connection: Connection, case_ids: Collection[int]) -> Sequence[Row]:
    return connection.execute(
        select(Contact.__table__)
        .where(Contact.case_id.in_(list(case_ids)))
        .order_by(Contact.case_id, Contact.posted_at, Contact.id)
    ).all()


def revisions_of(connection: Connection, case_ids: Collection[int]) -> Sequence[Row]:
    """Earlier texts of the contacts of these cases, oldest first."""
    return connection.execute(
        select(ContactRevision.__table__)
        .join(Contact, Contact.id == ContactRevision.contact_id)
        .where(Contact.case_id.in_(list(case_ids)))
        .order_by(ContactRevision.contact_id, ContactRevision.id)
    ).all()


def promises_of(connection: Connection, case_ids: Collection[int]) -> Sequence[Row]:
    return connection.execute(
        select(Promise.__table__)
        .where(Promise.case_id.in_(list(case_ids)))
        .order_by(Promise.case_id, Promise.made_at, Promise.id)
    ).all()


def notifications_of(connection: Connection, case_ids: Collection[int]) -> Sequence[Row]:
    """Every message the bot owed about these cases (a promise's rows carry its case id too),
    in the order they were planned."""
    columns = [c for c in Notification.__table__.c if c.name != "claim_token"]
    return connection.execute(
        select(*columns)
        .where(Notification.case_id.in_(list(case_ids)))
        .order_by(Notification.case_id, Notification.id)
    ).all()


def audit_of(connection: Connection, case_ids: Collection[int]) -> Sequence[Row]:
    return connection.execute(
        select(AuditEntry.__table__)
        .where(AuditEntry.case_id.in_(list(case_ids)))
        .order_by(AuditEntry.case_id, AuditEntry.at, AuditEntry.id)
    ).all()
