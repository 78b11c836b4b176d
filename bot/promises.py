"""Promises made to customers: the plan (remind, due, escalate) is computed and frozen when the
promise is made, and every message it implies is written to the outbox in that transaction.
Giving a promise a new time is bot/new_times.py; handing a case over, bot/handover.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from bot import audit, cases, escalation, hygiene, notifications
from bot.audit import Action
from bot.authz import require_may_change
from bot.cases import require_open
from bot.errors import CaseError
from bot.notifications import NoteEvent
from bot.policy import Policy
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


def plan(*, due_at: datetime, now: datetime, policy: Policy, manager_id: str | None) -> Plan:
    """When to remind and escalate. A promise due sooner than the lead is reminded half-way to
    its due time instead: a reminder the moment it is made would only be noise."""
    remind_at = due_at - policy.reminder_lead
    if remind_at <= now:
        remind_at = now + (due_at - now) / 2
    return Plan(
        due_at=due_at,
        remind_at=remind_at,
        escalate_at=due_at + policy.escalation_grace,
        escalate_to=manager_id,
    )


def make_promise(
    session: Session,
    *,
    case: Case,
    description: str,
    due_at: datetime,
    made_by: str,
    now: datetime,
    policy: Policy,
    source_ts: str | None = None,
) -> tuple[Promise, list[str]]:
    """Record a promise on `case`, owned by the case owner. Returns it and the outbox keys of
    the messages to send straight away (the note in the case thread)."""
    require_open(case)
    require_may_change(session, case, made_by, "record a promise on", policy.admins.of(case.team_id))
    what = clean_text(description, "promise")
    if due_at <= now:
        raise CaseError("That time has already passed; a promise needs a time still to come.")
    chain = escalation.chain_for(
        session,
        team_id=case.team_id,
        owner_id=case.owner_id,
        case_channel=case.channel_id,
        escalation_channel=policy.escalation_channel,
    )
    frozen = plan(due_at=due_at, now=now, policy=policy, manager_id=escalation.first_person(chain))
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
    _recorded(session, case, promise, now)
    enqueue_plan(session, case, promise, now, policy)
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


def _recorded(session: Session, case: Case, promise: Promise, now: datetime) -> None:
    """A promise just made: the safer time it may need, and its audit entry."""
    advice = advice_for(session, case, promise, now)
    promise.suggested_due_at = advice.suggested if advice is not None else None
    audit.record(
        session,
        Action.PROMISE_MADE,
        team_id=case.team_id,
        at=now,
        actor_id=promise.made_by,
        case=case,
        promise=promise,
        due_at=promise.due_at.isoformat(),
        escalation_chain=promise.escalation_chain,
        suggested_due_at=promise.suggested_due_at.isoformat() if promise.suggested_due_at else None,
    )


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


def enqueue_plan(session: Session, case: Case, promise: Promise, now: datetime, policy: Policy) -> None:
    """The reminder and every level of the escalation chain, into the outbox."""
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
    escalation.plan_chain(session, case, promise, now, policy.escalation_repeat)


def keep_promise(
    session: Session,
    *,
    case: Case,
    actor_id: str,
    now: datetime,
    policy: Policy,
    promise_id: int | None = None,
) -> Promise:
    """The case's open promise is kept: the one a button names, or the only one open. With
    several open and none named, WhichPromise: the caller asks which (never a silent guess)."""
    require_may_change(session, case, actor_id, "mark a promise kept on", policy.admins.of(case.team_id))
    promise = choose_open(session, case, promise_id, Intent.KEEP)
    promise.state = PromiseState.KEPT
    promise.kept_at = now
    promise.kept_by = actor_id
    notifications.cancel_for(session, promise, "kept", now)
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


class Intent(StrEnum):
    """What someone wants done to one of a case's open promises."""

    KEEP = "keep"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"


_NOTHING_OPEN = {
    Intent.KEEP: "{ref} has no open promise to mark done.",
    Intent.CANCEL: "{ref} has no open promise to cancel.",
    Intent.RESCHEDULE: "{ref} has no open promise to give a new time.",
}


@dataclass(frozen=True)
class PromiseChoice:
    """One open promise, as plain values a question about it needs (no session needed)."""

    promise_id: int
    description: str
    due_at: datetime
    case_id: int
    case_ref: str

    @classmethod
    def of(cls, promise: Promise) -> PromiseChoice:
        return cls(
            promise.id, promise.description, promise.due_at, promise.case_id, f"CASE-{promise.case_id}"
        )


class WhichPromise(CaseError):
    """Several promises are open on the case and the request didn't say which one: the caller
    asks, listing them, rather than guess. Carries plain values: the transaction is gone by
    the time anyone renders the question."""

    def __init__(self, case: Case, intent: Intent, open_now: list[Promise]):
        self.case_id = case.id
        self.case_ref = case.ref
        self.intent = intent
        self.choices = tuple(PromiseChoice.of(p) for p in open_now)
        # A new time asked for, already read (a reschedule's question carries it).
        self.due_at: datetime | None = None
        super().__init__(f"{case.ref} has {len(open_now)} open promises: say which one.")


def choose_open(session: Session, case: Case, promise_id: int | None, intent: Intent) -> Promise:
    """The open promise a request is about: the one it names, or the only one open."""
    still_open = queries.open_promises(session, case.id)
    if promise_id is not None:
        chosen = [p for p in still_open if p.id == promise_id]
        if not chosen:
            raise CaseError(f"That promise on {case.ref} isn't open any more: {fate(session, promise_id)}")
        return chosen[0]
    if not still_open:
        raise CaseError(_NOTHING_OPEN[intent].format(ref=case.ref))
    if len(still_open) > 1:
        raise WhichPromise(case, intent, still_open)
    return still_open[0]


def cancel_promise(
    session: Session,
    *,
    case: Case,
    promise: Promise,
    reason: str,
    customer_told: bool,
    actor_id: str,
    now: datetime,
    policy: Policy,
) -> list[str]:
    """Call a promise off: with a reason, the customer told. Nothing more is sent about it (no
    reminder, no escalation); the thread and the record say who did it and why. Counted as
    cancelled, not kept or missed, unless it was already past its due time: then it was
    missed first. Returns the outbox keys to send straight away."""
    require_open(case)
    require_may_change(session, case, actor_id, "cancel a promise on", policy.admins.of(case.team_id))
    require_still_open(session, case, promise)
    if not reason.strip():
        raise CaseError("Say why the promise is called off: it stays on the record with the reason.")
    why = clean_text(reason, "note")
    if not customer_told:
        raise CaseError(
            "Tell the customer first: a promise called off without telling them is a promise broken."
        )
    promise.state = PromiseState.CANCELLED
    promise.cancelled_at = now
    promise.cancelled_by = actor_id
    promise.cancel_reason = why
    promise.customer_told = customer_told
    notifications.cancel_for(session, promise, "cancelled", now)
    audit.record(
        session,
        Action.PROMISE_CANCELLED,
        team_id=case.team_id,
        at=now,
        actor_id=actor_id,
        case=case,
        promise=promise,
        reason=why,
        customer_told=customer_told,
        late_by_s=max(0, int((now - promise.due_at).total_seconds())),
    )
    card_key = cases.touch(session, case, now)
    return [card_key] + escalation.tell(
        session, case, promise, NoteEvent.CANCELLED, actor_id, now, owner=True, note=why
    )


def fate(session: Session, promise_id: int) -> str:
    promise = session.get(Promise, promise_id)
    if promise is None:
        return "there is no such promise."
    if promise.state is PromiseState.KEPT:
        return f"it was kept by <@{promise.kept_by}>."
    if promise.state is PromiseState.RESCHEDULED:
        return "it was rescheduled; the reminder for its new time has the buttons."
    if promise.state is PromiseState.CANCELLED:
        return f"it was cancelled by <@{promise.cancelled_by}>."
    return "it was changed meanwhile."


def open_promise(session: Session, case: Case, promise_id: int) -> Promise:
    """The promise a button or modal names, still open, on this case."""
    promise = session.get(Promise, promise_id)
    if promise is None or promise.case_id != case.id:
        raise CaseError(f"There is no such promise on {case.ref}.")
    require_still_open(session, case, promise)
    return promise


def require_still_open(session: Session, case: Case, promise: Promise) -> None:
    """A promise kept, rescheduled or cancelled meanwhile (a click from another device, a stale button)
    can't be changed again: say what became of it."""
    if promise.state is not PromiseState.OPEN:
        raise CaseError(f"That promise on {case.ref} isn't open any more: {fate(session, promise.id)}")


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
