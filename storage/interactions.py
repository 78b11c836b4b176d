"""The interactions already acted on (storage.models.Interaction), one statement each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Interaction


def first_time(session: Session, key: str, now: datetime, seen_since: datetime | None) -> bool:
    """Record `key` as acted on now. False when it was already, at or after `seen_since` (None:
    ever): then the caller does nothing. In the caller's transaction, so a failed attempt
    leaves no trace and may be tried again."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(Interaction).values(key=key, seen_at=now)
    if seen_since is None:
        statement = statement.on_conflict_do_nothing()
    else:
        statement = statement.on_conflict_do_update(
            index_elements=[Interaction.key],
            set_={"seen_at": now},
            where=Interaction.seen_at < seen_since,
        )
    # RETURNING, not rowcount: the ORM insert path does not report rowcount on every driver.
    return session.execute(statement.returning(Interaction.key)).first() is not None


def forget_before(session: Session, before: datetime) -> int:
    """Housekeeping: keys older than any window."""
    return session.execute(delete(Interaction).where(Interaction.seen_at < before)).rowcount or 0
