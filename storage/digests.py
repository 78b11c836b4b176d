"""Reads for the weekly digest (bot/digests.py): every manager of every workspace with what
we know of them, and which of their digests are already in the outbox. One statement each."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from storage.models import ManagerLink, Notification, Person


def managers(session: Session) -> list[tuple[str, str, str | None, str | None, datetime | None]]:
    """(team_id, manager_id, digest_schedule, tz, tz fetched_at) of everyone who is someone's
    manager, in any workspace; the last three None when the people table doesn't know them."""
    everyone = select(ManagerLink.team_id, ManagerLink.manager_id).distinct().subquery()
    rows = session.execute(
        select(
            everyone.c.team_id, everyone.c.manager_id, Person.digest_schedule, Person.tz, Person.fetched_at
        )
        .outerjoin(
            Person, and_(Person.team_id == everyone.c.team_id, Person.user_id == everyone.c.manager_id)
        )
        .order_by(everyone.c.team_id, everyone.c.manager_id)
    ).all()
    return [(team, manager, schedule, tz, fetched_at) for team, manager, schedule, tz, fetched_at in rows]


def existing_keys(session: Session, keys: Collection[str]) -> set[str]:
    if not keys:
        return set()
    return set(
        session.execute(
            select(Notification.dedupe_key).where(Notification.dedupe_key.in_(list(keys)))
        ).scalars()
    )
