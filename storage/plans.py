"""Notification SQL for plans that change: messages still waiting are moved, redirected,
called off or owed again when a promise, its owner or its case changes. The dispatcher's side
(claim, mark sent, retry) is storage.outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from storage.models import Notification, NotificationKind, NotificationState


def planned(session: Session, promise_id: int, kinds: tuple[NotificationKind, ...]) -> list[Notification]:
    """A promise's messages of these kinds, in any state, by level."""
    return list(
        session.execute(
            select(Notification)
            .where(Notification.promise_id == promise_id, Notification.kind.in_(kinds))
            .order_by(Notification.level, Notification.id)
        ).scalars()
    )


def redirect_pending(
    session: Session, promise_id: int, kind: NotificationKind, recipient: str, thread_ts: str | None
) -> int:
    """Send a promise's unsent messages of one kind to someone else, at their planned times.
    A claimed row too: should its sender die, the re-send goes to the new recipient (one being
    sent this very moment still reaches the old one; its claim is fenced)."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.promise_id == promise_id,
            Notification.kind == kind,
            Notification.state.in_([NotificationState.PENDING, NotificationState.CLAIMED]),
        )
        .values(recipient=recipient, thread_ts=thread_ts)
    )
    return result.rowcount


def set_run_at(session: Session, row_id: int, run_at: datetime) -> None:
    """Move a row that is still waiting to `run_at`."""
    session.execute(
        update(Notification)
        .where(Notification.id == row_id, Notification.state == NotificationState.PENDING)
        .values(run_at=run_at)
    )


def cancel_row(session: Session, row_id: int, reason: str) -> None:
    session.execute(
        update(Notification)
        .where(Notification.id == row_id, Notification.state == NotificationState.PENDING)
        .values(state=NotificationState.CANCELLED, last_error=reason)
    )


def owe_again(session: Session, keys: list[str], now: datetime) -> list[str]:
    """Rows Slack refused for good (dead) are owed again, now: what it refused has been put
    right (the bot was invited into the channel). Returns the keys revived."""
    revived = session.execute(
        update(Notification)
        .where(Notification.dedupe_key.in_(keys), Notification.state == NotificationState.DEAD)
        .values(
            state=NotificationState.PENDING, run_at=now, attempts=0, last_error=None, maybe_delivered=False
        )
        .returning(Notification.dedupe_key)
        .execution_options(synchronize_session=False)
    )
    return list(revived.scalars())


def revive(session: Session, row_id: int, recipient: str, thread_ts: str | None, run_at: datetime) -> None:
    """A message cancelled because the plan changed is owed again (the plan changed back)."""
    session.execute(
        update(Notification)
        .where(Notification.id == row_id, Notification.state == NotificationState.CANCELLED)
        .values(
            state=NotificationState.PENDING,
            recipient=recipient,
            thread_ts=thread_ts,
            run_at=run_at,
            attempts=0,
            last_error=None,
        )
    )


def cancel_pending(
    session: Session, promise_id: int, reason: str, kinds: tuple[NotificationKind, ...] | None = None
) -> int:
    """Call off a promise's messages still waiting (only those of `kinds`, if given)."""
    which = [Notification.promise_id == promise_id]
    if kinds is not None:
        which.append(Notification.kind.in_(kinds))
    return _cancel_waiting(session, reason, *which)


def cancel_pending_of_cases(
    session: Session, case_ids: list[int], kind: NotificationKind, reason: str
) -> int:
    """Call off these cases' messages of one kind still waiting (a claimed one is being sent)."""
    return _cancel_waiting(session, reason, Notification.case_id.in_(case_ids), Notification.kind == kind)


def _cancel_waiting(session: Session, reason: str, *which: ColumnElement[bool]) -> int:
    statement = update(Notification).where(Notification.state == NotificationState.PENDING, *which)
    return session.execute(statement.values(state=NotificationState.CANCELLED, last_error=reason)).rowcount


def notification_of(
    session: Session, promise_id: int, kind: NotificationKind, level: int
) -> Notification | None:
    """The one row of a promise's (kind, level)."""
    return session.execute(
        select(Notification).where(
            Notification.promise_id == promise_id, Notification.kind == kind, Notification.level == level
        )
    ).scalar_one_or_none()
