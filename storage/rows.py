"""Rows inserted many at once, without an ORM object each: a storm of thread replies logs
dozens of contacts and audit entries in one transaction, and the ORM's bookkeeping per object
cost more than the rows themselves (bench/cpu_per_reply_notes.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Base


def insert_all(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """One INSERT run for each row (compiled once); nothing is loaded into the session. On the
    table, not the model: the ORM's bulk-insert path would cost as much as the rows again."""
    if rows:
        session.execute(insert(model.__table__), rows)


def insert_new(
    session: Session, model: type[Base], rows: list[dict[str, Any]], *, returning: tuple[str, ...]
) -> set[tuple[Any, ...]]:
    """insert_all(), skipping each row a unique constraint already holds (also one another
    transaction inserts at the same moment: PostgreSQL waits for it, then skips). Returns the
    `returning` columns of the rows inserted."""
    if not rows:
        return set()
    table = model.__table__
    insert_for = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert_for(table).on_conflict_do_nothing().returning(*(table.c[name] for name in returning))
    return {tuple(row) for row in session.execute(statement, rows)}
