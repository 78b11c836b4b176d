"""The durable inbox of Slack events: each delivery that may touch a case is kept before Slack
gets its 200, so nothing acknowledged is ever lost. Workers claim events from it for a while
(a lease), so one whose handling never finished (the worker died mid-way) is taken up again
when its claim runs out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.flows.context import Context
from storage import inbox
from storage.models import EventState

# How many times a re-driven event is tried before it is given up (and logged as such).
MAX_EVENT_ATTEMPTS = 10
# How long a failed event waits before it is tried again.
RETRY_AFTER = timedelta(seconds=30)


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


def claim(ctx: Context, *, limit: int, lease: timedelta) -> list[Unfinished]:
    """Take up to `limit` unfinished events nobody else holds, for `lease`: new ones, ones a
    crashed worker held, and failed ones whose wait is over."""
    now = ctx.clock.now()
    with ctx.reading() as session:
        ids = inbox.claimable(session, now, limit)
    if not ids:
        return []
    with ctx.db.transaction() as session:
        return [
            Unfinished(team_id=e.team_id, event_id=e.event_id, event=e.payload, attempts=e.attempts)
            for e in inbox.claim(session, ids, now, now + lease)
        ]


def release(ctx: Context, keys: list[tuple[str, str]]) -> None:
    """Events taken but not handled go back to the inbox for any worker."""
    if keys:
        with ctx.db.transaction() as session:
            inbox.release(session, keys)


def done(ctx: Context, *, team_id: str, event_id: str) -> None:
    """An event whose work is done outside a unit of its own (drawing the App Home)."""
    with ctx.db.transaction() as session:
        inbox.finish(session, team_id, event_id, EventState.PROCESSED, ctx.clock.now())


def failed(ctx: Context, *, team_id: str, event_id: str) -> bool:
    """Handling it failed once more; True when it has now been given up. Until then it is tried
    again after RETRY_AFTER."""
    with ctx.unit() as unit:
        return inbox.failed_attempt(
            unit.session, team_id, event_id, MAX_EVENT_ATTEMPTS, ctx.clock.now() + RETRY_AFTER
        )
