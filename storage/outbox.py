"""Outbox SQL: insert-once, claim with a lease, finish fenced by the claim token.

The claim is one UPDATE ... WHERE id IN (SELECT ... [FOR UPDATE SKIP LOCKED]) RETURNING, so
several dispatchers (threads or processes) never take the same row; on SQLite the whole
transaction is BEGIN IMMEDIATE (storage.db), which serialises claimers instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Notification, NotificationKind, NotificationState


@dataclass(frozen=True)
class Claim:
    """One claimed row: everything the sender needs, detached from the session."""

    id: int
    key: str
    token: str
    team_id: str
    kind: str
    promise_id: int | None
    case_id: int | None
    level: int
    recipient: str
    thread_ts: str | None
    payload: dict[str, Any]
    run_at: datetime
    attempts: int
    maybe_delivered: bool
    delivered_channel: str | None
    claimed_at: datetime


def insert_once(session: Session, values: dict[str, Any]) -> bool:
    """Insert a notification unless its dedupe key (or promise/kind/level) exists. True if new."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Notification).values(**values).on_conflict_do_nothing().returning(Notification.id)
    # RETURNING, not rowcount: the ORM insert path does not report rowcount on every driver.
    return session.execute(statement).first() is not None


def insert_all_once(session: Session, rows: list[dict[str, Any]]) -> None:
    """insert_once() for several notifications, as one statement run for each row (its SQL is
    the same for every batch, so compiled once)."""
    if not rows:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(Notification.__table__).on_conflict_do_nothing(), rows)


def _claim(
    session: Session, candidates, now: datetime, lease: timedelta, mark_uncertain: bool
) -> list[Claim]:  # type: ignore[no-untyped-def]
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    token = uuid.uuid4().hex
    values: dict[str, Any] = {
        "state": NotificationState.CLAIMED,
        "claim_token": token,
        "claimed_until": now + lease,
        "attempts": Notification.attempts + 1,
    }
    if mark_uncertain:
        values["maybe_delivered"] = True
    statement = (
        update(Notification)
        .where(Notification.id.in_(candidates.scalar_subquery()))
        .values(**values)
        .returning(Notification)
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(statement).scalars().all()
    return sorted((_to_claim(row, token, now) for row in rows), key=lambda c: (c.run_at, c.id))


def claim_due(
    session: Session, now: datetime, lease: timedelta, limit: int, skip: Collection[str] = ()
) -> list[Claim]:
    """Claim up to `limit` rows that are due, oldest first, plus any whose claim was
    abandoned (lease expired: the process that held it died mid-send). Rows to the recipients
    in `skip` are left for later (their conversation is busy in this process)."""
    abandoned = (
        select(Notification.id)
        .where(
            Notification.state == NotificationState.CLAIMED,
            Notification.claimed_until < now,
            *_not_to(skip),
        )
        .order_by(Notification.claimed_until)
        .limit(limit)
    )
    claims = _claim(session, abandoned, now, lease, mark_uncertain=True)
    room = limit - len(claims)
    if room > 0:
        due = (
            select(Notification.id)
            .where(
                Notification.state == NotificationState.PENDING, Notification.run_at <= now, *_not_to(skip)
            )
            .order_by(Notification.run_at, Notification.id)
            .limit(room)
        )
        claims += _claim(session, due, now, lease, mark_uncertain=False)
    return claims


def _not_to(skip: Collection[str]) -> list[ColumnElement[bool]]:
    return [Notification.recipient.not_in(sorted(skip))] if skip else []


def claim_ids(session: Session, ids: list[int], now: datetime, lease: timedelta) -> list[Claim]:
    """Claim specific rows if they are pending and due (sending right after a command)."""
    wanted = select(Notification.id).where(
        Notification.id.in_(ids),
        Notification.state == NotificationState.PENDING,
        Notification.run_at <= now,
    )
    return _claim(session, wanted, now, lease, mark_uncertain=False)


def claim_due_for(
    session: Session,
    team_id: str,
    recipient: str,
    kinds: tuple[NotificationKind, ...],
    now: datetime,
    lease: timedelta,
    limit: int,
) -> list[Claim]:
    """Claim the rest of what is due for one person (of `kinds`), oldest first: a catch-up
    summary gathers all of it, not only the rows that fell in one batch."""
    wanted = (
        select(Notification.id)
        .where(
            Notification.team_id == team_id,
            Notification.recipient == recipient,
            Notification.kind.in_(kinds),
            Notification.state == NotificationState.PENDING,
            Notification.run_at <= now,
        )
        .order_by(Notification.run_at, Notification.id)
        .limit(limit)
    )
    return _claim(session, wanted, now, lease, mark_uncertain=False)


def _fenced(claim: Claim):  # type: ignore[no-untyped-def]
    # The claimed row is never loaded as an object in the session that marks it: nothing for
    # the ORM to bring in step (its check is a fifth of the cost of marking a row sent).
    return (
        update(Notification)
        .where(
            Notification.id == claim.id,
            Notification.claim_token == claim.token,
            Notification.state == NotificationState.CLAIMED,
        )
        .execution_options(synchronize_session=False)
    )


def renew(session: Session, claims: list[Claim], until: datetime) -> set[int]:
    """Hold these claims until `until` where they are still ours; the ids kept. A row whose
    lease ran out and that another dispatcher took meanwhile is not (its token changed)."""
    kept = set()
    for claim in claims:
        if session.execute(_fenced(claim).values(claimed_until=until)).rowcount == 1:
            kept.add(claim.id)
    return kept


def record_channel(session: Session, claim: Claim, channel: str) -> None:
    """Remember where a DM goes before posting, so a re-send can look there for it."""
    session.execute(_fenced(claim).values(delivered_channel=channel))


def mark_sent(session: Session, claim: Claim, channel: str | None, ts: str | None, now: datetime) -> bool:
    """False if the claim was lost meanwhile (lease expired and someone else took the row)."""
    result = session.execute(
        _fenced(claim).values(
            state=NotificationState.SENT,
            delivered_channel=channel,
            slack_ts=ts,
            sent_at=now,
            claim_token=None,
            claimed_until=None,
            last_error=None,
        )
    )
    return result.rowcount == 1


def mark_cancelled(session: Session, claim: Claim, reason: str) -> None:
    session.execute(
        _fenced(claim).values(
            state=NotificationState.CANCELLED, last_error=reason, claim_token=None, claimed_until=None
        )
    )


def mark_retry(session: Session, claim: Claim, error: str, retry_at: datetime, uncertain: bool) -> None:
    values: dict[str, Any] = {
        "state": NotificationState.PENDING,
        "run_at": retry_at,
        "last_error": error[:2000],
        "claim_token": None,
        "claimed_until": None,
    }
    if uncertain:
        values["maybe_delivered"] = True
    session.execute(_fenced(claim).values(**values))


def mark_dead(session: Session, claim: Claim, error: str) -> None:
    session.execute(
        _fenced(claim).values(
            state=NotificationState.DEAD, last_error=error[:2000], claim_token=None, claimed_until=None
        )
    )


def release(session: Session, claims: list[Claim]) -> None:
    """Give back claims that were never tried (shutting down, or Slack failing) so another
    dispatcher takes them at once. Not tried, so not an attempt."""
    for claim in claims:
        session.execute(
            _fenced(claim).values(
                state=NotificationState.PENDING,
                claim_token=None,
                claimed_until=None,
                attempts=Notification.attempts - 1,
            )
        )


def restore_run_at(session: Session, rows: list[tuple[int, datetime]]) -> None:
    """Put rows stepped aside during an outage back in their place in line (their due time)."""
    for row_id, run_at in rows:
        session.execute(
            update(Notification)
            .where(Notification.id == row_id, Notification.state == NotificationState.PENDING)
            .values(run_at=run_at)
        )














def mark_deferred(session: Session, claim: Claim, until: datetime) -> None:
    """Not now (the recipient is off work): back in line at `until`. Not an attempt."""
    session.execute(
        _fenced(claim).values(
            state=NotificationState.PENDING,
            run_at=until,
            claim_token=None,
            claimed_until=None,
            attempts=Notification.attempts - 1,
        )
    )










def next_run_at(session: Session, skip: Collection[str] = ()) -> datetime | None:
    """When the next waiting row falls due (leaving out rows to the recipients in `skip`)."""
    return session.execute(
        select(func.min(Notification.run_at)).where(
            Notification.state == NotificationState.PENDING, *_not_to(skip)
        )
    ).scalar_one_or_none()


def ids_by_keys(session: Session, keys: list[str]) -> list[int]:
    return list(session.execute(select(Notification.id).where(Notification.dedupe_key.in_(keys))).scalars())


def _to_claim(row: Notification, token: str, now: datetime) -> Claim:
    return Claim(
        id=row.id,
        key=row.dedupe_key,
        token=token,
        team_id=row.team_id,
        kind=str(row.kind.value),
        promise_id=row.promise_id,
        case_id=row.case_id,
        level=row.level,
        recipient=row.recipient,
        thread_ts=row.thread_ts,
        payload=dict(row.payload or {}),
        run_at=row.run_at,
        attempts=row.attempts,
        maybe_delivered=row.maybe_delivered,
        delivered_channel=row.delivered_channel,
        claimed_at=now,
    )
