"""The levels of a promise's escalation chain as the outbox holds them: which went out, which
are still to go below a given level, and the owner told that one waits for working hours.
bot/escalation.py decides with these; nothing here talks to Slack."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot import notifications
from storage import plans
from storage.models import Case, NotificationKind, NotificationState, Promise


def out(session: Session, promise_id: int) -> dict[int, str]:
    """The escalation levels that went out or are going out now, and to whom."""
    gone = (NotificationState.SENT, NotificationState.CLAIMED)
    return {
        row.level: row.recipient
        for row in plans.planned(session, promise_id, (NotificationKind.ESCALATION,))
        if row.state in gone
    }


def merged_chain(out: dict[int, str], chain: list[str], old: list[str]) -> list[str]:
    """Levels `out` (level -> whom it reached) keep their place; the others take the new
    `chain` in order, leaving out whoever was told already. A level still waiting below one
    that went out (rare: they were claimed together) keeps its old recipient if the new chain
    has no one left for it."""
    told = set(out.values())
    rest = [to for to in chain if to not in told]
    merged: list[str] = []
    for level in range(1, max(out, default=0) + 1):
        if level in out:
            merged.append(out[level])
        elif rest:
            merged.append(rest.pop(0))
        else:
            merged.append(old[level - 1] if level <= len(old) else chain[-1])
    return merged + rest


def earliest_after_those_below(
    session: Session, promise_id: int, level: int, now: datetime, repeat: timedelta
) -> datetime | None:
    """The earliest a level may go while a level below it is still to go out (waiting, or
    claimed this moment) or went out less than its ESCALATION_REPEAT ago: that long after it,
    at the soonest. None: nothing below holds it. (Levels claimed together after downtime are
    decided side by side, one lane per recipient: the one below may have gone a moment ago.)"""
    earliest = []
    for row in plans.planned(session, promise_id, (NotificationKind.ESCALATION,)):
        if row.level >= level:
            continue
        gap = (level - row.level) * repeat
        if row.state in (NotificationState.PENDING, NotificationState.CLAIMED):
            earliest.append(max(row.run_at, now) + gap)
        elif row.state is NotificationState.SENT and row.sent_at is not None and row.sent_at + gap > now:
            earliest.append(row.sent_at + gap)
    return max(earliest, default=None)


def tell_owner_it_waits(
    session: Session,
    case: Case,
    promise: Promise,
    level: int,
    recipient: str,
    until: datetime,
    tz: str,
    now: datetime,
) -> None:
    """The owner hears, once per level, that the escalation waits for its recipient's working
    hours: nobody is told meanwhile, so the customer must hear from them."""
    notifications.enqueue(
        session,
        team_id=case.team_id,
        kind=NotificationKind.ESCALATION_WAITING,
        recipient=promise.owner_id,
        run_at=now,
        now=now,
        promise=promise,
        level=level,
        payload={"to": recipient, "until": until.isoformat(), "tz": tz},
        dedupe_key=notifications.promise_key(promise, NotificationKind.ESCALATION_WAITING, level),
    )
