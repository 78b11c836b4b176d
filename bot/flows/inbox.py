"""The durable inbox of Slack events: each delivery that may touch a case is kept before Slack
gets its 200, so nothing acknowledged is ever lost, and one whose handling never finished (the
process died mid-way) is handled again by the worker's re-drive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.flows.context import Context
from storage import inbox

# How many times a re-driven event is tried before it is given up (and logged as such).
MAX_EVENT_ATTEMPTS = 10


@dataclass(frozen=True)
class Unfinished:
    team_id: str
    event_id: str
    event: dict[str, Any]
    attempts: int


def record_event(ctx: Context, *, team_id: str, event_id: str, event: dict[str, Any]) -> bool:
    """Keep one delivery. False when it was kept before (Slack's retry of a delivery, same
    event id): then there is nothing to do."""
    # Slack is waiting for this one: it goes before the work queued behind earlier acks.
    with ctx.db.transaction(urgent=True) as session:
        return inbox.record(session, team_id, event_id, event, ctx.clock.now())


def unfinished(ctx: Context, *, older_than: timedelta, limit: int = 100) -> list[Unfinished]:
    """Events recorded longer ago than `older_than` and never finished."""
    cutoff = ctx.clock.now() - older_than
    with ctx.reading() as session:
        return [
            Unfinished(team_id=e.team_id, event_id=e.event_id, event=e.payload, attempts=e.attempts)
            for e in inbox.stale(session, cutoff, limit)
        ]


def failed(ctx: Context, *, team_id: str, event_id: str) -> bool:
    """Handling it failed once more; True when it has now been given up."""
    with ctx.unit() as unit:
        return inbox.failed_attempt(unit.session, team_id, event_id, MAX_EVENT_ATTEMPTS)
