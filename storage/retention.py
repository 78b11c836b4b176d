"""The purge's SQL: each function does one small batch (at most `limit` rows) in the caller's
transaction and says how many rows it changed, so the caller can commit, pause and go on
without ever holding SQLite's one write lock for long (bot/flows/housekeeping.py).

What may go, and why deleting it is safe, is said at each function."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, delete, exists, func, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import (
    SLACK_BOTS,
    SLACK_OAUTH_STATES,
    AuditEntry,
    Case,
    CaseState,
    Channel,
    Contact,
    ContactRevision,
    EventState,
    InboundEvent,
    Interaction,
    ManagerLink,
    ManagerRequest,
    Notification,
    NotificationState,
    Person,
    Promise,
    PromiseState,
    RecurringFlag,
    WorkspaceDeletion,
)

# ---- what is done with --------------------------------------------------------------------


def clear_payloads(session: Session, before: datetime, limit: int) -> int:
    """Clear what Slack sent with handled events that arrived before `before`. An event still
    `received` keeps it: the re-drive handles it from its payload."""
    ids = select(InboundEvent.id).where(
        InboundEvent.payload.is_not(None),
        InboundEvent.received_at < before,
        InboundEvent.state != EventState.RECEIVED,
    )
    # Oldest first along the partial index of the payloads still kept (ix_inbound_events_payload_kept).
    ids = ids.order_by(InboundEvent.received_at).limit(limit)
    return _count(
        session.execute(
            update(InboundEvent)
            .where(InboundEvent.id.in_(list(session.execute(ids).scalars())))
            .values(payload=null())
            .execution_options(synchronize_session=False)
        )
    )


def delete_events(session: Session, before: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
    """Delete handled events that arrived before `before`, among the next `limit` rows after
    `after_id` (by id, so each batch reads only its own rows). Returns (deleted, the last id
    read, or None when there is nothing older left to read). Safe: the row only recognises a
    retry of the same event, and Slack retries an event for minutes, not days; an event never
    handled stays, for the re-drive."""
    rows = session.execute(
        select(InboundEvent.id, InboundEvent.received_at, InboundEvent.state)
        .where(InboundEvent.id > after_id)
        .order_by(InboundEvent.id)
        .limit(limit)
    ).all()
    done = [row.id for row in rows if row.received_at < before and row.state is not EventState.RECEIVED]
    deleted = _count(session.execute(delete(InboundEvent).where(InboundEvent.id.in_(done)))) if done else 0
    return deleted, _next(rows, lambda row: row.received_at < before)


def delete_notifications(
    session: Session, before: datetime, after_id: int, limit: int
) -> tuple[int, int | None]:
    """Delete notifications sent or called off before `before`, among the next `limit` rows
    after `after_id`; as delete_events() returns.

    Safe, because a row is what stops the same message being owed twice (its unique dedupe
    key, and (promise, kind, level)), and only rows nothing can owe again go:
    - sent or cancelled only: pending and claimed rows are still to go out, dead ones wait
      for the operator;
    - not of an open case, nor of an open promise: everything that plans messages again
      (escalation plans, snoozes, a card posted once the bot joins, a plan changed back) works
      on open cases and promises, and compares with their rows. A closed case reopened is
      open again and keeps its rows from then on; its ended promises never reopen;
    - the rest are keyed by a moment (a digest's week, a note's time) or by a row that is
      itself new (a flag, a Slack message): a key of the past is never made again. The weekly
      digest looks back a day at most (bot/digests.py CATCH_UP); history is kept a day at least.
    - never the newest row: SQLite gives a new row the highest id + 1, so deleting the newest
      could give its id to the next row, and the sender's look for an earlier delivery (the id
      in the message's metadata) could mistake the old message for the new one.
    """
    rows = session.execute(
        select(Notification.id, Notification.created_at)
        .where(Notification.id > after_id)
        .order_by(Notification.id)
        .limit(limit)
    ).all()
    ids = [row.id for row in rows if row.created_at < before]
    deleted = 0
    if ids:
        newest = select(func.max(Notification.id)).scalar_subquery()
        deleted = _count(
            session.execute(
                delete(Notification)
                .where(Notification.id.in_(ids), Notification.id < newest, _done_with(before))
                .execution_options(synchronize_session=False)
            )
        )
    return deleted, _next(rows, lambda row: row.created_at < before)


def _done_with(before: datetime) -> Any:
    case_open = exists().where(Case.id == Notification.case_id, Case.state == CaseState.OPEN)
    promise_open = exists().where(Promise.id == Notification.promise_id, Promise.state == PromiseState.OPEN)
    return and_(
        or_(
            and_(Notification.state == NotificationState.SENT, Notification.sent_at < before),
            Notification.state == NotificationState.CANCELLED,
        ),
        ~case_open,
        ~promise_open,
    )


def forget_interactions(session: Session, before: datetime, limit: int) -> int:
    """Request keys acted on before `before`: a repeat that old is no repeat any more (the
    longest window is a form's, a day)."""
    keys = select(Interaction.key).where(Interaction.seen_at < before).order_by(Interaction.seen_at)
    return _count(session.execute(delete(Interaction).where(Interaction.key.in_(keys.limit(limit)))))


def delete_oauth_states(session: Session, now: datetime, limit: int) -> int:
    """OAuth states past their expiry (`now`: the wall clock, which slack_sdk issues and checks
    them by): worth nothing, slack_sdk refuses them. It writes expire_at as naive UTC."""
    states = SLACK_OAUTH_STATES.c
    expired = select(states.id).where(states.expire_at < now.astimezone(UTC).replace(tzinfo=None))
    return _count(session.execute(delete(SLACK_OAUTH_STATES).where(states.id.in_(expired.limit(limit)))))


# ---- workspaces that removed the app ------------------------------------------------------


def schedule_deletion(session: Session, team_id: str, now: datetime, delete_after: datetime) -> None:
    """Record (or move on) a workspace's deletion."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    values = {"team_id": team_id, "uninstalled_at": now, "delete_after": delete_after}
    session.execute(
        insert(WorkspaceDeletion)
        .values(**values)
        .on_conflict_do_update(index_elements=[WorkspaceDeletion.team_id], set_=values)
    )


def pending_deletions(session: Session) -> list[tuple[str, datetime]]:
    rows = session.execute(select(WorkspaceDeletion).order_by(WorkspaceDeletion.delete_after)).scalars()
    return [(row.team_id, row.delete_after) for row in rows]


def installed(session: Session, team_id: str) -> bool:
    """The workspace has a bot again (it installed the app again: an uninstall deleted them all)."""
    return session.execute(select(exists().where(SLACK_BOTS.c.team_id == team_id))).scalar_one()


def drop_deletion(session: Session, team_id: str) -> None:
    session.execute(delete(WorkspaceDeletion).where(WorkspaceDeletion.team_id == team_id))


def delete_cases(session: Session, team_id: str, limit: int) -> int:
    """Up to `limit` of a workspace's cases, with everything hanging on them (child rows first,
    for the foreign keys). Rows deleted."""
    case_ids = list(session.execute(select(Case.id).where(Case.team_id == team_id).limit(limit)).scalars())
    if not case_ids:
        return 0
    contacts = select(Contact.id).where(Contact.case_id.in_(case_ids))
    promises = select(Promise.id).where(Promise.case_id.in_(case_ids))
    statements = [
        delete(ContactRevision).where(ContactRevision.contact_id.in_(contacts)),
        delete(Contact).where(Contact.case_id.in_(case_ids)),
        delete(Notification).where(
            or_(Notification.case_id.in_(case_ids), Notification.promise_id.in_(promises))
        ),
        delete(AuditEntry).where(or_(AuditEntry.case_id.in_(case_ids), AuditEntry.promise_id.in_(promises))),
        # One statement for all of them: a rescheduled promise points at the one it replaced.
        delete(Promise).where(Promise.case_id.in_(case_ids)),
        delete(Case).where(Case.id.in_(case_ids)),
    ]
    options = {"synchronize_session": False}
    return sum(_count(session.execute(statement.execution_options(**options))) for statement in statements)


# What else is the workspace's, once its cases are gone (by id, in batches).
TEAM_TABLES: Sequence[Any] = (
    Notification,
    AuditEntry,
    InboundEvent,
    RecurringFlag,
    ManagerRequest,
    ManagerLink,
    Person,
    Channel,
)


def delete_team_rows(session: Session, model: Any, team_id: str, limit: int) -> int:
    ids: Select[Any] = select(model.id).where(model.team_id == team_id).limit(limit)
    return _count(session.execute(delete(model).where(model.id.in_(list(session.execute(ids).scalars())))))


# ---- helpers ----------------------------------------------------------------------------------


def _next(rows: Sequence[Any], old: Any) -> int | None:
    """Where the next batch starts: after the last row read, while the rows read were old
    enough (ids grow with time, so past the first new row nothing older follows)."""
    if not rows or not all(old(row) for row in rows):
        return None
    return int(rows[-1].id)


def _count(result: Any) -> int:
    return int(result.rowcount or 0)
