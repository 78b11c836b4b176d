"""Promises made to customers: the plan (remind, due, escalate) is computed and frozen when the
promise is made, and every message it implies is written to the outbox in that transaction."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot import audit, cases, escalation, hygiene, notifications
from bot.audit import Action
from bot.authz import require_may_change
from bot.cases import require_open
from bot.errors import CaseError
from bot.validation import clean_text
from storage import outbox, queries
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
    repeat: timedelta = timedelta(minutes=30),
    escalation_channel: str | None = None,
) -> tuple[Promise, list[str]]:
    """Record a promise on `case`, owned by the case owner. Returns it and the outbox keys of
    the messages to send straight away (the note in the case thread)."""
    require_open(case)
    require_may_change(session, case, made_by, "record a promise on", admins)
    what = clean_text(description, "promise")
    if due_at <= now:
        raise CaseError("That time has already passed; a promise needs a time still to come.")
    chain = escalation.chain_for(
        session,
        team_id=case.team_id,
        owner_id=case.owner_id,
        case_channel=case.channel_id,
        escalation_channel=escalation_channel,
    )
    frozen = plan(due_at=due_at, now=now, lead=lead, grace=grace, manager_id=escalation.first_person(chain))
    promise = Promise(
        case_id=case.id,
        owner_id=case.owner_id,
        description=what,
        due_at=frozen.due_at,
        remind_at=frozen.remind_at,
        escalate_at=frozen.escalate_at,
        escalate_to=frozen.escalate_to,
        escalation_chain=chain,
        state=PromiseState.OPEN,
        made_by=made_by,
        made_at=now,
        source_ts=source_ts,
    )
    session.add(promise)
    session.flush()
    advice = advice_for(session, case, promise, now)
    promise.suggested_due_at = advice.suggested if advice is not None else None
    audit.record(
        session,
        Action.PROMISE_MADE,
        team_id=case.team_id,
        at=now,
        actor_id=made_by,
        case=case,
        promise=promise,
        due_at=frozen.due_at.isoformat(),
        escalation_chain=chain,
        suggested_due_at=promise.suggested_due_at.isoformat() if promise.suggested_due_at else None,
    )
    _enqueue_plan(session, case, promise, now, repeat)
    card_key = cases.touch(session, case, now)
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
    return promise, [note_key, card_key]


def advice_for(session: Session, case: Case, promise: Promise, now: datetime) -> hygiene.Advice | None:
    """Whether the promise looks tight, and the safer time (bot/hygiene.py)."""
    return hygiene.check(
        session,
        team_id=case.team_id,
        owner_id=promise.owner_id,
        description=promise.description,
        due_at=promise.due_at,
        now=now,
        exclude_id=promise.id,
    )


def use_safer_time(
    session: Session,
    *,
    case: Case,
    promise: Promise,
    actor_id: str,
    now: datetime,
    lead: timedelta,
    grace: timedelta,
    repeat: timedelta = timedelta(minutes=30),
    admins: Collection[str] = (),
) -> list[str]:
    """Move a promise just made to the safer time the bot suggested. It is the same promise,
    not a reschedule: the customer hears the safer time in the first place. Only shortly after
    making it (hygiene.SUGGESTION_GOOD_FOR); later, a new time is a reschedule the customer is
    told about. Returns the outbox keys to send straight away."""
    require_open(case)
    require_may_change(session, case, actor_id, "change a promise on", admins)
    require_still_open(session, case, promise)
    safer = promise.suggested_due_at
    if safer is None:
        raise CaseError("There is no safer time suggested for that promise.")
    if promise.due_at == safer:
        raise CaseError("That promise has the safer time already.")
    if now - promise.made_at > hygiene.SUGGESTION_GOOD_FOR:
        raise CaseError(
            "That suggestion was for the moment the promise was made. To give the customer a new"
            " time now, reschedule it (the customer must be told)."
        )
    earlier = promise.due_at
    frozen = plan(due_at=safer, now=now, lead=lead, grace=grace, manager_id=promise.escalate_to)
    promise.due_at, promise.remind_at, promise.escalate_at = (
        frozen.due_at,
        frozen.remind_at,
        frozen.escalate_at,
    )
    kinds = (NotificationKind.REMINDER, NotificationKind.MANAGER_MISSING, *escalation.ESCALATION_KINDS)
    for row in outbox.planned(session, promise.id, kinds):
        if row.kind == NotificationKind.REMINDER.value and row.level == 0:
            outbox.set_run_at(session, row.id, frozen.remind_at)
        elif row.kind != NotificationKind.REMINDER.value:
            outbox.set_run_at(session, row.id, escalation.level_at(promise, row.level, repeat))
    audit.record(
        session,
        Action.PROMISE_SAFER_TIME,
        team_id=case.team_id,
        at=now,
        actor_id=actor_id,
        case=case,
        promise=promise,
        old_due_at=earlier.isoformat(),
        new_due_at=safer.isoformat(),
    )
    card_key = cases.touch(session, case, now)
    return [card_key] + escalation.tell(
        session, case, promise, "safer_time", actor_id, now, old_due_at=earlier.isoformat()
    )


def _enqueue_plan(session: Session, case: Case, promise: Promise, now: datetime, repeat: timedelta) -> None:
    notifications.enqueue(
        session,
        team_id=case.team_id,
        kind=NotificationKind.REMINDER,
        recipient=promise.owner_id,
        run_at=promise.remind_at,
        now=now,
        promise=promise,
        dedupe_key=notifications.promise_key(promise, NotificationKind.REMINDER),
    )
    escalation.plan_chain(session, case, promise, now, repeat)


def keep_promise(
    session: Session,
    *,
    case: Case,
    actor_id: str,
    now: datetime,
    admins: Collection[str] = (),
    promise_id: int | None = None,
) -> Promise:
    """The case's open promise is kept; with several open, the one due first (or the one a
    button names)."""
    require_may_change(session, case, actor_id, "mark a promise kept on", admins)
    still_open = queries.open_promises(session, case.id)
    if promise_id is not None:
        chosen = [p for p in still_open if p.id == promise_id]
        if not chosen:
            raise CaseError(f"That promise on {case.ref} isn't open any more: {_fate(session, promise_id)}")
        promise = chosen[0]
    elif not still_open:
        raise CaseError(f"{case.ref} has no open promise to mark done.")
    else:
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
    cases.touch(session, case, now)
    return promise


def reassign_case(
    session: Session,
    *,
    case: Case,
    actor_id: str,
    new_owner_id: str,
    now: datetime,
    admins: Collection[str] = (),
    repeat: timedelta = timedelta(minutes=30),
    escalation_channel: str | None = None,
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
    chain = escalation.chain_for(
        session,
        team_id=case.team_id,
        owner_id=new_owner_id,
        case_channel=case.channel_id,
        escalation_channel=escalation_channel,
    )
    for promise in queries.open_promises(session, case.id):
        promise.owner_id = new_owner_id
        # The safer time was worked out from the previous owner's workload and record.
        promise.suggested_due_at = None
        outbox.redirect_pending(session, promise.id, NotificationKind.REMINDER, new_owner_id, None)
        escalation.replan_chain(session, case, promise, chain, now, repeat)
    card_key = cases.touch(session, case, now)
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
    return [card_key] + notifications.say_now(
        session,
        case=case,
        now=now,
        payload=handover,
        stamp=stamp,
        targets=[
            (NotificationKind.HANDOVER, new_owner_id, None),
            (NotificationKind.HANDOVER_NOTE, case.channel_id, case.card_ts),
        ],
    )


def _fate(session: Session, promise_id: int) -> str:
    promise = session.get(Promise, promise_id)
    if promise is None:
        return "there is no such promise."
    if promise.state is PromiseState.KEPT:
        return f"it was kept by <@{promise.kept_by}>."
    if promise.state is PromiseState.RESCHEDULED:
        return "it was rescheduled; the reminder for its new time has the buttons."
    return "it was changed meanwhile."


def open_promise(session: Session, case: Case, promise_id: int) -> Promise:
    """The promise a button or modal names, still open, on this case."""
    promise = session.get(Promise, promise_id)
    if promise is None or promise.case_id != case.id:
        raise CaseError(f"There is no such promise on {case.ref}.")
    require_still_open(session, case, promise)
    return promise


def require_still_open(session: Session, case: Case, promise: Promise) -> None:
    """A promise kept or rescheduled meanwhile (a click from another device, a stale button)
    can't be changed again: say what became of it."""
    if promise.state is not PromiseState.OPEN:
        raise CaseError(f"That promise on {case.ref} isn't open any more: {_fate(session, promise.id)}")


def reschedule_promise(
    session: Session,
    *,
    case: Case,
    promise: Promise,
    new_due_at: datetime,
    note: str,
    customer_told: bool,
    actor_id: str,
    now: datetime,
    lead: timedelta,
    grace: timedelta,
    repeat: timedelta = timedelta(minutes=30),
    admins: Collection[str] = (),
    extension: bool = False,
) -> tuple[Promise, list[str]]:
    """A new time for a promise, agreed before it was missed: the customer was told, so this
    is a reschedule, not a miss. The old promise is kept as it was (state rescheduled) and a
    new one replaces it, with the same escalation chain. A manager's extension (from an
    escalation) needs a reason; the owner's reschedule needs the customer to have been told.
    Returns the new promise and the outbox keys to send straight away."""
    require_open(case)
    require_may_change(session, case, actor_id, "reschedule a promise on", admins)
    require_still_open(session, case, promise)
    if not extension and not customer_told:
        raise CaseError(
            "Tell the customer the new time first: a reschedule they know about keeps their trust;"
            " one they don't is a missed promise."
        )
    why = clean_text(note, "note")
    if new_due_at <= now:
        raise CaseError("That time has already passed; the new time must be still to come.")
    if new_due_at == promise.due_at:
        raise CaseError("That is the time it already has.")
    promise.state = PromiseState.RESCHEDULED
    promise.rescheduled_at = now
    promise.rescheduled_by = actor_id
    promise.reschedule_note = why
    promise.customer_told = customer_told
    notifications.cancel_for(session, promise, "rescheduled")
    frozen = plan(due_at=new_due_at, now=now, lead=lead, grace=grace, manager_id=promise.escalate_to)
    replacement = Promise(
        case_id=case.id,
        owner_id=case.owner_id,
        description=promise.description,
        due_at=frozen.due_at,
        remind_at=frozen.remind_at,
        escalate_at=frozen.escalate_at,
        escalate_to=promise.escalate_to,
        escalation_chain=list(escalation.chain_of(promise, case)),
        state=PromiseState.OPEN,
        made_by=actor_id,
        made_at=now,
        replaces_id=promise.id,
    )
    session.add(replacement)
    session.flush()
    audit.record(
        session,
        Action.PROMISE_RESCHEDULED,
        team_id=case.team_id,
        at=now,
        actor_id=actor_id,
        case=case,
        promise=promise,
        replaced_by=replacement.id,
        old_due_at=promise.due_at.isoformat(),
        new_due_at=new_due_at.isoformat(),
        customer_told=customer_told,
        note=why,
        extension=extension,
    )
    _enqueue_plan(session, case, replacement, now, repeat)
    card_key = cases.touch(session, case, now)
    event = "extended" if extension else "rescheduled"
    return replacement, [card_key] + escalation.tell(
        session,
        case,
        replacement,
        event,
        actor_id,
        now,
        owner=extension,
        note=why,
        old_due_at=promise.due_at.isoformat(),
    )


def history(session: Session, promise: Promise) -> list[Promise]:
    """The promises this one replaced, oldest first (each reschedule is one)."""
    earlier: list[Promise] = []
    current = promise
    while current.replaces_id is not None and len(earlier) < 50:
        previous = session.get(Promise, current.replaces_id)
        if previous is None:
            break
        earlier.append(previous)
        current = previous
    return list(reversed(earlier))


SNOOZE = timedelta(minutes=15)


def snooze_reminder(
    session: Session,
    *,
    case: Case,
    promise: Promise,
    actor_id: str,
    now: datetime,
    admins: Collection[str] = (),
) -> datetime:
    """Remind the owner again in 15 minutes. The due time and the escalation don't move:
    snoozing a reminder is not a new promise to the customer."""
    require_may_change(session, case, actor_id, "snooze a reminder on", admins)
    require_still_open(session, case, promise)
    levels = [row.level for row in outbox.planned(session, promise.id, (NotificationKind.REMINDER,))]
    level = max(levels, default=0) + 1
    again = now + SNOOZE
    notifications.enqueue(
        session,
        team_id=case.team_id,
        kind=NotificationKind.REMINDER,
        recipient=promise.owner_id,
        run_at=again,
        now=now,
        promise=promise,
        level=level,
        dedupe_key=notifications.promise_key(promise, NotificationKind.REMINDER, level),
    )
    audit.record(
        session,
        Action.REMINDER_SNOOZED,
        team_id=case.team_id,
        at=now,
        actor_id=actor_id,
        case=case,
        promise=promise,
    )
    return again
