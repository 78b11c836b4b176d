"""Reads for the audit export (bot/ops/export.py): cases in pages by id, and everything hanging off
one page of cases in one statement per table, never a statement per case.

The export reads a live database that the bot keeps writing, so it reads through an engine of
its own, storage.db.make_engine(url, read_only=True), that never blocks the bot's writers."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, exists, func, or_, select

from storage.models import AuditEntry, Case, Contact, ContactRevision, Notification, Promise


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
