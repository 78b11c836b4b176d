"""Promises made to customers: the plan (remind, due, escalate) is computed and frozen when the
promise is made, and every message it implies is written to the outbox in that transaction."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot import audit, notifications
from bot.audit import Action
from bot.authz import require_may_change
from bot.cases import require_open
from bot.errors import CaseError
from bot.validation import clean_text
from storage import queries
from storage.models import Case, NotificationKind, Promise, PromiseState


@dataclass(frozen=True)
class Plan:
    due_at: datetime
    remind_at: datetime
    escalate_at: datetime
    # None: no manager is set, so the escalation goes to the case channel.
    escalate_to: str | None


def plan(
    *, due_at: datetime, now: datetime, lead: timedelta, grace: timedelta, manager_id: str | None
) -> Plan:
    """When to remind and escalate. A promise due sooner than the lead is reminded half-way to
    its due time instead: a reminder the moment it is made would only be noise."""
    remind_at = due_at - lead
    if remind_at <= now:
        remind_at = now + (due_at - now) / 2
    return Plan(due_at=due_at, remind_at=remind_at, escalate_at=due_at + grace, escalate_to=manager_id)


def make_promise(
    session: Session,
    *,
    case: Case,
    description: str,
    due_at: datetime,
    made_by: str,
    now: datetime,
    lead: timedelta,
    grace: timedelta,
    source_ts: str | None = None,
    admins: Collection[str] = (),
) -> tuple[Promise, list[str]]:
    """Record a promise on `case`, owned by the case owner. Returns it and the outbox keys of
    the messages to send straight away (the note in the case thread)."""
    require_open(case)
    require_may_change(session, case, made_by, "record a promise on", admins)
    what = clean_text(description, "promise")
    if due_at <= now:
        raise CaseError("That time has already passed; a promise needs a time still to come.")
    link = queries.manager_of(session, case.team_id, case.owner_id)
    frozen = plan(
        due_at=due_at, now=now, lead=lead, grace=grace, manager_id=link.manager_id if link else None
    )
    promise = Promise(
        case_id=case.id,
        owner_id=case.owner_id,
        description=what,
        due_at=frozen.due_at,
        remind_at=frozen.remind_at,
        escalate_at=frozen.escalate_at,
        escalate_to=frozen.escalate_to,
        state=PromiseState.OPEN,
        made_by=made_by,
        made_at=now,
        source_ts=source_ts,
    )
    session.add(promise)
    session.flush()
    audit.record(
        session,
        Action.PROMISE_MADE,
        team_id=case.team_id,
        at=now,
        actor_id=made_by,
        case=case,
        promise=promise,
        due_at=frozen.due_at.isoformat(),
        escalate_to=frozen.escalate_to,
    )
    _enqueue_plan(session, case, promise, now)
    note_key = notifications.enqueue(
        session,
        team_id=case.team_id,
        kind=NotificationKind.PROMISE_NOTE,
        recipient=case.channel_id,
        thread_ts=case.card_ts,
        run_at=now,
        now=now,
        promise=promise,
        dedupe_key=notifications.promise_key(promise, NotificationKind.PROMISE_NOTE),
    )
    return promise, [note_key]


def _enqueue_plan(session: Session, case: Case, promise: Promise, now: datetime) -> None:
    def owe(
        kind: NotificationKind, recipient: str, run_at: datetime, level: int, **extra: str | None
    ) -> None:
        notifications.enqueue(
            session,
            team_id=case.team_id,
            kind=kind,
            recipient=recipient,
            run_at=run_at,
            now=now,
            promise=promise,
            level=level,
            dedupe_key=notifications.promise_key(promise, kind, level),
            **extra,
        )

    owe(NotificationKind.REMINDER, promise.owner_id, promise.remind_at, 0)
    if promise.escalate_to:
        owe(NotificationKind.ESCALATION, promise.escalate_to, promise.escalate_at, 1)
        owe(NotificationKind.ESCALATION_NOTE, case.channel_id, promise.escalate_at, 1, thread_ts=case.card_ts)
    else:
        # Nobody to escalate to: the case channel hears it, in the case thread and broadcast,
        # and the owner is asked to name a manager.
        owe(NotificationKind.ESCALATION, case.channel_id, promise.escalate_at, 1, thread_ts=case.card_ts)
        owe(NotificationKind.MANAGER_MISSING, promise.owner_id, promise.escalate_at, 1)


def keep_promise(
    session: Session, *, case: Case, actor_id: str, now: datetime, admins: Collection[str] = ()
) -> Promise:
    """The case's open promise is kept; with several open, the one due first."""
    require_may_change(session, case, actor_id, "mark a promise kept on", admins)
    still_open = queries.open_promises(session, case.id)
    if not still_open:
        raise CaseError(f"{case.ref} has no open promise to mark done.")
    promise = still_open[0]
    promise.state = PromiseState.KEPT
    promise.kept_at = now
    promise.kept_by = actor_id
    notifications.cancel_for(session, promise, "kept")
    audit.record(
        session,
        Action.PROMISE_KEPT,
        team_id=case.team_id,
        at=now,
        actor_id=actor_id,
        case=case,
        promise=promise,
        late_by_s=max(0, int((now - promise.due_at).total_seconds())),
    )
    return promise


def reassign_case(
    session: Session,
    *,
    case: Case,
    actor_id: str,
    new_owner_id: str,
    now: datetime,
    admins: Collection[str] = (),
) -> list[str]:
    """Hand a case, and the open promises on it, to someone else: they are reminded from now
    on and their manager is escalated to, at the times already planned. This is the one
    explicit way a frozen plan changes. Returns the outbox keys to send straight away (the
    new owner's DM and the note in the case thread)."""
    require_open(case)
    require_may_change(session, case, actor_id, "reassign", admins)
    if new_owner_id == case.owner_id:
        raise CaseError(f"{case.ref} is <@{new_owner_id}>'s already.")
    previous = case.owner_id
    case.owner_id = new_owner_id
    link = queries.manager_of(session, case.team_id, new_owner_id)
    manager_id = link.manager_id if link else None
    reminder, escalation = (NotificationKind.REMINDER,), (NotificationKind.ESCALATION,)
    followers = (NotificationKind.ESCALATION_NOTE, NotificationKind.MANAGER_MISSING)
    # (level, kinds now, kind after, recipient, thread): the plan _enqueue_plan would make
    # for the new owner, applied to the rows already there.
    if manager_id:
        moves = [
            (0, reminder, NotificationKind.REMINDER, new_owner_id, None),
            (1, escalation, NotificationKind.ESCALATION, manager_id, None),
            (1, followers, NotificationKind.ESCALATION_NOTE, case.channel_id, case.card_ts),
        ]
    else:
        moves = [
            (0, reminder, NotificationKind.REMINDER, new_owner_id, None),
            (1, escalation, NotificationKind.ESCALATION, case.channel_id, case.card_ts),
            (1, followers, NotificationKind.MANAGER_MISSING, new_owner_id, None),
        ]
    for promise in queries.open_promises(session, case.id):
        promise.owner_id = new_owner_id
        promise.escalate_to = manager_id
        for level, kinds, to_kind, recipient, thread_ts in moves:
            notifications.retarget(
                session,
                promise,
                level=level,
                kinds=kinds,
                to_kind=to_kind,
                recipient=recipient,
                thread_ts=thread_ts,
            )
    audit.record(
        session,
        Action.CASE_REASSIGNED,
        team_id=case.team_id,
        at=now,
        actor_id=actor_id,
        case=case,
        previous_owner=previous,
        new_owner=new_owner_id,
    )
    handover = {"by": actor_id, "previous_owner": previous}
    # Unique per hand-over: the same case may change hands again later.
    stamp = f"{case.id}:{new_owner_id}:{now.isoformat()}"
    return [
        notifications.enqueue(
            session,
            team_id=case.team_id,
            kind=kind,
            recipient=recipient,
            thread_ts=thread_ts,
            run_at=now,
            now=now,
            case_id=case.id,
            payload=handover,
            dedupe_key=f"{kind.value}:{stamp}",
        )
        for kind, recipient, thread_ts in (
            (NotificationKind.HANDOVER, new_owner_id, None),
            (NotificationKind.HANDOVER_NOTE, case.channel_id, case.card_ts),
        )
    ]
