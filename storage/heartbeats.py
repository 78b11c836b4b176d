"""When a process of a role was last seen working on this database (storage.models.Heartbeat)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Heartbeat


def beat(session: Session, *, role: str, host: str, pid: int, now: datetime) -> None:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(Heartbeat).values(role=role, host=host, pid=pid, seen_at=now)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[Heartbeat.role], set_={"host": host, "pid": pid, "seen_at": now}
        )
    )


def last_seen(session: Session, role: str) -> Heartbeat | None:
    return session.scalars(select(Heartbeat).where(Heartbeat.role == role)).first()
