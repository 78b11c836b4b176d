"""Dead outbox rows as operators handle them (bot/dead_letters.py): read, put back in line, drop."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import Notification, NotificationKind, NotificationState

# The reason an escalation's note gives up with when its escalation died (bot/escalation.py
# decide_note, recorded by the dispatcher as the row's last_error).
NOTE_GAVE_UP = "its escalation was not sent"


@dataclass(frozen=True)
class DeadRow:
    id: int
    team_id: str
    kind: str
    level: int
    case_id: int | None
    promise_id: int | None
    recipient: str
    # When it was due last (its first due time, or the time of its last attempt).
    run_at: datetime
    attempts: int
    last_error: str | None
    created_at: datetime


def dead(
    session: Session, *, ids: Collection[int] | None = None, team_id: str | None = None
) -> list[DeadRow]:
    """Dead rows, oldest due first (only `ids`, or one workspace's, if given)."""
    query = select(Notification).where(Notification.state == NotificationState.DEAD)
    if ids is not None:
        query = query.where(Notification.id.in_(sorted(ids)))
    if team_id is not None:
        query = query.where(Notification.team_id == team_id)
    rows = session.execute(query.order_by(Notification.run_at, Notification.id)).scalars()
    return [
        DeadRow(
            id=row.id,
            team_id=row.team_id,
            kind=str(row.kind.value),
            level=row.level,
            case_id=row.case_id,
            promise_id=row.promise_id,
            recipient=row.recipient,
            run_at=row.run_at,
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=row.created_at,
        )
        for row in rows
    ]


def states(session: Session, ids: Collection[int]) -> dict[int, NotificationState]:
    found = session.execute(
        select(Notification.id, Notification.state).where(Notification.id.in_(sorted(ids)))
    )
    return {row_id: state for row_id, state in found}


def put_back(session: Session, ids: list[int]) -> None:
    """Dead rows pending again, with a fresh count of attempts. Their due time stays: it is at
    or before now, so they go at the next pass, and the sender's look for an earlier delivery
    starts from it. maybe_delivered is set: whatever became of earlier attempts, the sender
    looks in Slack before posting again (a timeout before the final refusal may have got
    through), so a retry never posts a message twice."""
    if not ids:
        return
    session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.state == NotificationState.DEAD)
        .values(
            state=NotificationState.PENDING,
            attempts=0,
            maybe_delivered=True,
            claim_token=None,
            claimed_until=None,
        )
        .execution_options(synchronize_session=False)
    )


def owe_note_again(session: Session, promise_id: int, level: int, run_at: datetime) -> None:
    """The case thread's note of an escalation level, given up when that level died, is owed
    again (it waits for the escalation as always)."""
    session.execute(
        update(Notification)
        .where(
            Notification.promise_id == promise_id,
            Notification.kind == NotificationKind.ESCALATION_NOTE,
            Notification.level == level,
            Notification.state == NotificationState.CANCELLED,
            Notification.last_error == NOTE_GAVE_UP,
        )
        .values(state=NotificationState.PENDING, run_at=run_at, attempts=0, last_error=None)
        .execution_options(synchronize_session=False)
    )


def drop(session: Session, ids: list[int], reason: str) -> None:
    """Dead rows never to be sent: cancelled, `reason` kept as the row's last word."""
    if not ids:
        return
    session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.state == NotificationState.DEAD)
        .values(state=NotificationState.CANCELLED, last_error=reason[:2000])
        .execution_options(synchronize_session=False)
    )
