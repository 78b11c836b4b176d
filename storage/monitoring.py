"""What GET /metrics reads from the database at each scrape: the outbox's waiting, overdue and
dead rows by kind, unfinished inbox events, open cases and promises. Read from the database, so
every process (web or worker) reports the same numbers. Each query reads one partial index
(migration 0011, and the inbox's own): its cost follows the work outstanding, not the history.

The states are written into the SQL as literals, not bound: SQLite uses a partial index only
when the query's WHERE clause says the index's condition in so many words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, literal_column, select
from sqlalchemy.orm import Session

from storage.models import Case, InboundEvent, Notification, Promise


@dataclass(frozen=True)
class Waiting:
    """Outbox rows of one kind not sent yet: all of them, those already due (`overdue`), and
    the due time of the oldest of those."""

    pending: int = 0
    overdue: int = 0
    oldest_due: datetime | None = None


@dataclass(frozen=True)
class Backlog:
    # kind -> rows waiting (pending, or claimed and being sent)
    waiting: dict[str, Waiting]
    # kind -> rows given up (dead)
    dead: dict[str, int]
    # Events recorded and not finished (handled, or given up), and when the oldest arrived.
    unfinished_events: int
    oldest_unfinished_event: datetime | None
    open_cases: int
    open_promises: int
    # Open promises past their due time: missed and not yet settled.
    open_promises_past_due: int


def backlog(session: Session, now: datetime) -> Backlog:
    return Backlog(
        waiting=_waiting(session, now),
        dead=_dead(session),
        **_events(session),
        **_open(session, now),
    )


def _waiting(session: Session, now: datetime) -> dict[str, Waiting]:
    waiting: dict[str, Waiting] = {}
    for state in ("pending", "claimed"):
        # Claimed rows (being sent) are few: a process claims at most a few hundred at once.
        due = Notification.run_at <= now
        rows = session.execute(
            select(
                Notification.kind,
                func.count(),
                func.sum(case((due, 1), else_=0)),
                func.min(case((due, Notification.run_at), else_=None)),
            )
            .where(literal_column(f"notifications.state = '{state}'"))
            .group_by(Notification.kind)
        ).all()
        for kind, count, overdue, oldest in rows:
            before = waiting.get(str(kind), Waiting())
            oldest_due = min((t for t in (before.oldest_due, oldest) if t is not None), default=None)
            waiting[str(kind)] = Waiting(
                pending=before.pending + (count if state == "pending" else 0),
                overdue=before.overdue + int(overdue or 0),
                oldest_due=oldest_due,
            )
    return waiting


def _dead(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Notification.kind, func.count())
        .where(literal_column("notifications.state = 'dead'"))
        .group_by(Notification.kind)
    ).all()
    return {str(kind): count for kind, count in rows}


def _events(session: Session) -> dict[str, object]:
    count, oldest = session.execute(
        select(func.count(), func.min(InboundEvent.received_at)).where(
            literal_column("inbound_events.state = 'received'")
        )
    ).one()
    return {"unfinished_events": count, "oldest_unfinished_event": oldest}


def _open(session: Session, now: datetime) -> dict[str, int]:
    cases = session.execute(
        select(func.count()).select_from(Case).where(literal_column("cases.state = 'open'"))
    ).scalar_one()
    promises, past_due = session.execute(
        select(func.count(), func.sum(case((Promise.due_at < now, 1), else_=0))).where(
            literal_column("promises.state = 'open'")
        )
    ).one()
    return {"open_cases": cases, "open_promises": promises, "open_promises_past_due": int(past_due or 0)}
