"""Reads for promise hygiene (bot/hygiene.py): what else the owner has due around a time, and
how their recent promises ended. Both are bounded reads served by ix_promises_owner_state;
promises are kept to one workspace through their case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.models import Case, Promise, PromiseState


def open_due_between(
    session: Session, team_id: str, owner_id: str, start: datetime, end: datetime, exclude_id: int | None
) -> list[datetime]:
    """Due times of the owner's open promises due in [start, end], soonest first."""
    rows = session.execute(
        select(Promise.due_at)
        .join(Case, Case.id == Promise.case_id)
        .where(
            Case.team_id == team_id,
            Promise.owner_id == owner_id,
            Promise.state == PromiseState.OPEN,
            Promise.due_at >= start,
            Promise.due_at <= end,
            Promise.id != (exclude_id if exclude_id is not None else -1),
        )
        .order_by(Promise.due_at)
        .limit(50)
    ).scalars()
    return list(rows)


def recent_ends(
    session: Session, team_id: str, owner_id: str, now: datetime, limit: int
) -> list[tuple[str, datetime, datetime | None]]:
    """(description, due_at, kept_at) of the owner's latest promises that have ended: kept, or
    still open past their due time (missed so far). Rescheduled ones are left out: the
    customer was told a new time, so they say nothing about lateness. Newest due first."""
    rows = session.execute(
        select(Promise.description, Promise.due_at, Promise.kept_at)
        .join(Case, Case.id == Promise.case_id)
        .where(
            Case.team_id == team_id,
            Promise.owner_id == owner_id,
            Promise.due_at < now,
            or_(Promise.state == PromiseState.KEPT, Promise.state == PromiseState.OPEN),
        )
        .order_by(Promise.due_at.desc())
        .limit(limit)
    ).all()
    return [(description, due_at, kept_at) for description, due_at, kept_at in rows]
