"""Inbound Slack events: recorded once by (team, event_id) before Slack gets its 200, finished
in the same transaction as their effects, re-driven when processing died half-way."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import EventState, InboundEvent


def record(session: Session, team_id: str, event_id: str, payload: dict[str, Any], now: datetime) -> bool:
    """True the first time this event is seen; False for Slack's retries of it."""
    values = {
        "team_id": team_id,
        "event_id": event_id,
        "payload": payload,
        "state": EventState.RECEIVED,
        "received_at": now,
        "attempts": 0,
    }
    # RETURNING, not rowcount: rowcount is not reported for this insert on every driver.
    return session.execute(_record_once(session.get_bind().dialect.name), values).first() is not None


@cache
def _record_once(dialect: str) -> Insert:
    # This runs before every event's ack. Built once, on the table rather than the model: a
    # statement built anew each time (its values inline) and the ORM's bulk-insert path cost
    # twice what the insert itself does (measured: 0.75 -> 0.25 ms of CPU an event).
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = InboundEvent.__table__
    return insert(table).on_conflict_do_nothing().returning(table.c.id)


def finish(session: Session, team_id: str, event_id: str, state: EventState, now: datetime) -> None:
    session.execute(
        update(InboundEvent)
        .where(InboundEvent.team_id == team_id, InboundEvent.event_id == event_id)
        .values(state=state, processed_at=now, attempts=InboundEvent.attempts + 1)
        .execution_options(synchronize_session=False)
    )


def finish_all(
    session: Session, team_id: str, event_ids: list[str], state: EventState, now: datetime
) -> None:
    """finish() for several events of one workspace, in one statement."""
    if event_ids:
        session.execute(
            update(InboundEvent)
            .where(InboundEvent.team_id == team_id, InboundEvent.event_id.in_(event_ids))
            .values(state=state, processed_at=now, attempts=InboundEvent.attempts + 1)
            .execution_options(synchronize_session=False)
        )


def failed_attempt(session: Session, team_id: str, event_id: str, give_up_after: int) -> bool:
    """Count a failed re-drive; True when the event is given up (marked ignored)."""
    event = session.execute(
        select(InboundEvent).where(InboundEvent.team_id == team_id, InboundEvent.event_id == event_id)
    ).scalar_one_or_none()
    if event is None:
        return False
    event.attempts += 1
    if event.attempts >= give_up_after:
        event.state = EventState.IGNORED
        return True
    return False


def stale(session: Session, older_than: datetime, limit: int) -> list[InboundEvent]:
    return list(
        session.execute(
            select(InboundEvent)
            .where(InboundEvent.state == EventState.RECEIVED, InboundEvent.received_at <= older_than)
            .order_by(InboundEvent.received_at)
            .limit(limit)
        ).scalars()
    )
