"""Giving a promise a new time: a reschedule agreed with the customer (or a manager's extension,
answering an escalation), the safer time the bot suggested when it was made, and snoozing its
reminder (which moves nothing the customer was told). Every message it implies is written to
the outbox in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from bot import audit, cases, escalation, hygiene, notifications
from bot.audit import Action
from bot.authz import require_may_change
from bot.cases import require_open
from bot.clock import zone
from bot.errors import CaseError
from bot.notifications import NoteEvent
from bot.policy import Policy
from bot.promises import enqueue_plan, plan, require_still_open
from bot.validation import clean_text
from storage import plans
from storage.models import Case, NotificationKind, NotificationState, Promise, PromiseState


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
    policy: Policy,
    extension: bool = False,
) -> tuple[Promise, list[str]]:
    """A new time for a promise, agreed before it was missed: the customer was told, so this
    is a reschedule, not a miss. The old promise is kept as it was (state rescheduled) and a
    new one replaces it, with the same escalation chain. A manager's extension (from an
    escalation) needs a reason; the owner's reschedule needs the customer to have been told.
    Returns the new promise and the outbox keys to send straight away."""
    require_open(case)
    if extension:
        require_may_extend(case, promise, actor_id)
    # An extension is the answer to an escalation: whoever it reached may give it.
    admins = policy.admins.of(case.team_id)
    allowed = escalation.deciders(promise, case, admins) if extension else admins
    require_may_change(session, case, actor_id, "reschedule a promise on", allowed)
    require_still_open(session, case, promise)
    why = clean_text(note, "note") if extension or customer_told else ""
    _require_new_time(promise, new_due_at, now, customer_told=customer_told or extension)
    _retire(session, promise, actor_id, why, customer_told, now)
    replacement = _replacement(session, case, promise, new_due_at, actor_id, now, policy)
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
    enqueue_plan(session, case, replacement, now, policy)
    card_key = cases.touch(session, case, now)
    event = NoteEvent.EXTENDED if extension else NoteEvent.RESCHEDULED
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


def require_may_extend(case: Case, promise: Promise, actor_id: str) -> None:
    """An extension answers an escalation, so it is never the owner's: their own "Extend" would
    stop the chain with a time the customer may never have heard (the escalation reaching a
    channel puts the button in front of them too). They keep the promise, or agree a new time
    with the customer and reschedule it."""
    if actor_id == promise.owner_id:
        raise CaseError(
            f"You can't extend your own promise on {case.ref}: an extension is for whoever the"
            " escalation reached. Keep it, or agree a new time with the customer and reschedule it"
            " (the reminder's Reschedule button)."
        )


def _retire(
    session: Session, promise: Promise, actor_id: str, note: str, customer_told: bool, now: datetime
) -> None:
    """The old promise stays as it was, marked rescheduled, and nothing more is sent about it."""
    promise.state = PromiseState.RESCHEDULED
    promise.rescheduled_at = now
    promise.rescheduled_by = actor_id
    promise.reschedule_note = note
    promise.customer_told = customer_told
    notifications.cancel_for(session, promise, "rescheduled", now)


def check_new_time(promise: Promise, new_due_at: datetime, note: str, now: datetime) -> None:
    """What a reschedule needs besides the customer knowing, checked before asking whether they
    do: a note, and a new time still to come that differs from the one it has."""
    if not note.strip():
        raise CaseError("Say what you told the customer: it goes on the record with the new time.")
    clean_text(note, "note")
    _require_new_time(promise, new_due_at, now, customer_told=True)


def _require_new_time(promise: Promise, new_due_at: datetime, now: datetime, *, customer_told: bool) -> None:
    if not customer_told:
        raise CaseError(
            "Tell the customer the new time first: a reschedule they know about keeps their trust;"
            " one they don't is a missed promise."
        )
    if new_due_at <= now:
        raise CaseError("That time has already passed; the new time must be still to come.")
    if new_due_at == promise.due_at:
        raise CaseError("That is the time it already has.")


def _replacement(
    session: Session,
    case: Case,
    promise: Promise,
    new_due_at: datetime,
    actor_id: str,
    now: datetime,
    policy: Policy,
) -> Promise:
    """The promise with its new time, in place of the old: same words, same escalation chain,
    a new plan."""
    frozen = plan(due_at=new_due_at, now=now, policy=policy, manager_id=promise.escalate_to)
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
    return replacement


def use_safer_time(
    session: Session,
    *,
    case: Case,
    promise: Promise,
    actor_id: str,
    now: datetime,
    policy: Policy,
) -> list[str]:
    """Move a promise just made to the safer time the bot suggested. It is the same promise,
    not a reschedule: the customer hears the safer time in the first place. Only shortly after
    making it (hygiene.SUGGESTION_GOOD_FOR); later, a new time is a reschedule the customer is
    told about. Returns the outbox keys to send straight away."""
    require_open(case)
    require_may_change(session, case, actor_id, "change a promise on", policy.admins.of(case.team_id))
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
    frozen = plan(due_at=safer, now=now, policy=policy, manager_id=promise.escalate_to)
    promise.due_at, promise.remind_at, promise.escalate_at = (
        frozen.due_at,
        frozen.remind_at,
        frozen.escalate_at,
    )
    kinds = (NotificationKind.REMINDER, NotificationKind.MANAGER_MISSING, *escalation.ESCALATION_KINDS)
    repeat = policy.escalation_repeat
    for row in plans.planned(session, promise.id, kinds):
        if row.kind == NotificationKind.REMINDER.value and row.level == 0:
            plans.set_run_at(session, row.id, frozen.remind_at)
        elif row.kind != NotificationKind.REMINDER.value:
            plans.set_run_at(session, row.id, escalation.level_at(promise, row.level, repeat))
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
        session, case, promise, NoteEvent.SAFER_TIME, actor_id, now, old_due_at=earlier.isoformat()
    )


class Snooze(StrEnum):
    """How long a reminder is put off: the choices on it. Stored in its menu's values."""

    MINUTES_15 = "15m"
    HOUR = "1h"
    # 9:00 tomorrow on the owner's clock.
    TOMORROW = "tomorrow"
    # As late as a snooze may land: LAST_CALL before the due time.
    LAST_CALL = "last_call"


# A snooze never lands after the due time, nor together with the escalation: at the latest this
# long before it, so there is still time to keep the promise or agree a new time.
LAST_CALL = timedelta(minutes=5)
# Less room than this before the last call: nothing worth snoozing for.
SHORTEST_SNOOZE = timedelta(minutes=1)
_FOR = {Snooze.MINUTES_15: timedelta(minutes=15), Snooze.HOUR: timedelta(hours=1)}


def latest_snooze(promise: Promise) -> datetime:
    return promise.due_at - LAST_CALL


def snooze_choices(promise: Promise, now: datetime) -> list[Snooze]:
    """The choices a reminder drawn at `now` offers: those that land before the last call (9:00
    tomorrow only when the due time is more than a day off; a click re-checks it on the owner's
    clock), and "until shortly before it's due" in place of any that wouldn't."""
    latest = latest_snooze(promise)
    if latest - now < SHORTEST_SNOOZE:
        return []
    fits = [choice for choice, wait in _FOR.items() if now + wait <= latest]
    if latest - now >= timedelta(days=1, hours=9):
        fits.append(Snooze.TOMORROW)
    return fits if len(fits) == len(_FOR) else [*fits, Snooze.LAST_CALL]


def snooze_target(choice: Snooze, now: datetime, tz: str) -> datetime | None:
    """When the choice would bring the reminder back, before any cut; None: the last call."""
    if choice is Snooze.TOMORROW:
        local = now.astimezone(zone(tz))
        nine = datetime.combine(local.date() + timedelta(days=1), time(9), tzinfo=zone(tz))
        return nine.astimezone(UTC)
    wait = _FOR.get(choice)
    return now + wait if wait is not None else None


@dataclass(frozen=True)
class Snoozed:
    again: datetime
    due_at: datetime
    # It lands at the last call before the due time (chosen, or cut to it).
    last_call: bool
    # The choice would have landed after the last call: it was cut to it.
    cut: bool


def snooze_reminder(
    session: Session,
    *,
    case: Case,
    promise: Promise,
    actor_id: str,
    now: datetime,
    policy: Policy,
    choice: Snooze,
    tz: str,
) -> Snoozed:
    """Remind the owner again later, never after the last call before the due time. The due
    time and the escalation don't move: snoozing a reminder is not a new promise to the
    customer. A later snooze replaces an earlier one still waiting."""
    require_may_change(session, case, actor_id, "snooze a reminder on", policy.admins.of(case.team_id))
    require_still_open(session, case, promise)
    latest = latest_snooze(promise)
    if latest - now < SHORTEST_SNOOZE:
        raise CaseError(
            f"“{promise.description}” is due in under {(LAST_CALL + SHORTEST_SNOOZE).seconds // 60} minutes:"
            " too close to snooze. Keep it, agree a new time with the customer and reschedule it,"
            " or escalate now."
        )
    target = snooze_target(choice, now, tz)
    again = latest if target is None or target > latest else target
    reminders = plans.planned(session, promise.id, (NotificationKind.REMINDER,))
    for row in reminders:
        if row.level > 0 and row.state is NotificationState.PENDING:
            plans.cancel_row(session, row.id, "snoozed again")
    level = max((row.level for row in reminders), default=0) + 1
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
        choice=choice.value,
        again=again.isoformat(),
    )
    cut = target is not None and target > latest
    return Snoozed(again=again, due_at=promise.due_at, last_call=again == latest, cut=cut)
