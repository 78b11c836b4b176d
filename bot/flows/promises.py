"""Promises, intent by intent: make one (from words or from a picked time), keep it, give it a
new time, call it off, take the safer time, snooze its reminder. A new time or a cancellation
asked for in words is first a question (ask_reschedule, ask_cancel: which promise, and does the
customer know?); it happens once answered (reschedule, cancel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot import authz, cases, hygiene, new_times, promises, team
from bot.flows.context import Context, Once
from bot.timeparse import Clocks, due_time
from bot.validation import clean_text
from storage.models import Case, Promise


@dataclass(frozen=True)
class Made:
    case: Case
    promise: Promise
    # When it looks tight: why, and a safer time (bot/hygiene.py).
    advice: hygiene.Advice | None


@dataclass(frozen=True)
class Changed:
    """A promise given a new time (a reschedule makes a new promise in place of the old)."""

    case: Case
    promise: Promise


@dataclass(frozen=True)
class NewTime:
    """A new time asked for, read and checked, waiting for "does the customer know?"."""

    case: Case
    promise: Promise
    due_at: datetime


def zones(ctx: Context, *, team_id: str, case_id: int) -> Clocks:
    """How times are read for a case: on its owner's clock (their time zone and working hours),
    or on the customer's when the text says so. The owner's zone may take a Slack call:
    outside any transaction."""
    with ctx.reading() as session:
        case = cases.find_case(session, team_id, case_id)
        cases.require_open(case)
        owner_id, customer_tz = case.owner_id, case.customer_tz
        hours = team.working_hours_of(session, team_id, owner_id, ctx.policy.working_hours)
    return Clocks(tz=ctx.directory.time_zone(team_id, owner_id), customer_tz=customer_tz, hours=hours)


def make(
    ctx: Context, *, team_id: str, actor_id: str, case_id: int, when: str, what: str, once: Once | None = None
) -> Made:
    """A promise whose time is in words ("tomorrow 3pm"), read in the owner's time zone."""
    with ctx.reading() as session:
        case = cases.find_case(session, team_id, case_id)
        # Refuse before asking Slack anything on behalf of someone who may not do this.
        cases.require_open(case)
        authz.require_may_change(
            session, case, actor_id, "record a promise on", ctx.policy.admins.of(case.team_id)
        )
    due_at = due_time(when, zones(ctx, team_id=team_id, case_id=case_id), ctx.clock.now())
    return make_at(
        ctx, team_id=team_id, actor_id=actor_id, case_id=case_id, due_at=due_at, what=what, once=once
    )


def make_at(
    ctx: Context,
    *,
    team_id: str,
    actor_id: str,
    case_id: int,
    due_at: datetime,
    what: str,
    source_ts: str | None = None,
    once: Once | None = None,
) -> Made:
    """A promise whose time is already read."""
    with ctx.unit(once) as unit:
        case = cases.find_case(unit.session, team_id, case_id)
        promise, send_now = promises.make_promise(
            unit.session,
            case=case,
            description=what,
            due_at=due_at,
            made_by=actor_id,
            now=unit.now,
            policy=ctx.policy,
            source_ts=source_ts,
        )
        advice = (
            promises.advice_for(unit.session, case, promise, unit.now) if promise.suggested_due_at else None
        )
        unit.send(send_now)
        unit.wake()
    return Made(case=case, promise=promise, advice=advice)


def keep(
    ctx: Context,
    *,
    team_id: str,
    actor_id: str,
    case_id: int,
    promise_id: int | None = None,
    once: Once | None = None,
) -> Changed:
    """The case's open promise was kept (the one a button names, or the one due first)."""
    with ctx.unit(once) as unit:
        case = cases.find_case(unit.session, team_id, case_id)
        promise = promises.keep_promise(
            unit.session, case=case, actor_id=actor_id, now=unit.now, policy=ctx.policy, promise_id=promise_id
        )
        unit.send([cases.card_update_key(case)])
    return Changed(case=case, promise=promise)


def open_promise(ctx: Context, *, team_id: str, case_id: int, promise_id: int) -> Changed:
    """The still-open promise on an open case that a button opens a form about."""
    with ctx.reading() as session:
        case = cases.find_case(session, team_id, case_id)
        cases.require_open(case)
        return Changed(case=case, promise=promises.open_promise(session, case, promise_id))


def open_to_extend(ctx: Context, *, team_id: str, case_id: int, promise_id: int, actor_id: str) -> Changed:
    """The open promise an escalation's "Extend with reason" opens a form about: refused for
    its owner before any form opens."""
    held = open_promise(ctx, team_id=team_id, case_id=case_id, promise_id=promise_id)
    new_times.require_may_extend(held.case, held.promise, actor_id)
    return held


def reschedule(
    ctx: Context,
    *,
    team_id: str,
    actor_id: str,
    case_id: int,
    promise_id: int,
    due_at: datetime,
    note: str,
    customer_told: bool,
    extension: bool,
    once: Once | None = None,
) -> Changed:
    """A new time agreed with the customer, or (`extension`) given by whoever an escalation
    reached. The new promise replaces the old, with the same escalation chain."""
    with ctx.unit(once) as unit:
        case = cases.find_case(unit.session, team_id, case_id)
        promise = promises.open_promise(unit.session, case, promise_id)
        replacement, send_now = new_times.reschedule_promise(
            unit.session,
            case=case,
            promise=promise,
            new_due_at=due_at,
            note=note,
            customer_told=customer_told,
            actor_id=actor_id,
            now=unit.now,
            policy=ctx.policy,
            extension=extension,
        )
        unit.send(send_now)
        unit.wake()
    return Changed(case=case, promise=replacement)


def ask_reschedule(
    ctx: Context,
    *,
    team_id: str,
    actor_id: str,
    case_id: int,
    note: str,
    promise_id: int | None = None,
    when: str | None = None,
    due_at: datetime | None = None,
) -> NewTime:
    """A new time asked for in words (`when`, read on the owner's clock) or already read
    (`due_at`): checked now, so the question only offers what would work. With several promises
    open and none named, WhichPromise. Changes nothing."""
    with ctx.reading() as session:
        case = cases.find_case(session, team_id, case_id)
        cases.require_open(case)
        authz.require_may_change(
            session, case, actor_id, "reschedule a promise on", ctx.policy.admins.of(case.team_id)
        )
    if due_at is None:
        assert when is not None, "a new time in words or already read"
        due_at = due_time(when, zones(ctx, team_id=team_id, case_id=case_id), ctx.clock.now())
    with ctx.reading() as session:
        case = cases.find_case(session, team_id, case_id)
        try:
            promise = promises.choose_open(session, case, promise_id, promises.Intent.RESCHEDULE)
        except promises.WhichPromise as which:
            # The question carries the time as read, so the answer needs no second reading.
            which.due_at = due_at
            raise
    new_times.check_new_time(promise, due_at, note, ctx.clock.now())
    return NewTime(case=case, promise=promise, due_at=due_at)


def ask_cancel(
    ctx: Context, *, team_id: str, actor_id: str, case_id: int, reason: str, promise_id: int | None = None
) -> Changed:
    """Which promise would be called off, checked now; WhichPromise when several are open and
    none is named. Changes nothing."""
    with ctx.reading() as session:
        case = cases.find_case(session, team_id, case_id)
        cases.require_open(case)
        authz.require_may_change(
            session, case, actor_id, "cancel a promise on", ctx.policy.admins.of(case.team_id)
        )
        promise = promises.choose_open(session, case, promise_id, promises.Intent.CANCEL)
        clean_text(reason, "note")
    return Changed(case=case, promise=promise)


def cancel(
    ctx: Context,
    *,
    team_id: str,
    actor_id: str,
    case_id: int,
    promise_id: int,
    reason: str,
    customer_told: bool,
    once: Once | None = None,
) -> Changed:
    """The promise is called off, the customer told: no reminder or escalation for it any more."""
    with ctx.unit(once) as unit:
        case = cases.find_case(unit.session, team_id, case_id)
        promise = promises.open_promise(unit.session, case, promise_id)
        unit.send(
            promises.cancel_promise(
                unit.session,
                case=case,
                promise=promise,
                reason=reason,
                customer_told=customer_told,
                actor_id=actor_id,
                now=unit.now,
                policy=ctx.policy,
            )
        )
    return Changed(case=case, promise=promise)


def use_safer_time(
    ctx: Context, *, team_id: str, actor_id: str, case_id: int, promise_id: int, once: Once | None = None
) -> Changed:
    with ctx.unit(once) as unit:
        case = cases.find_case(unit.session, team_id, case_id)
        promise = promises.open_promise(unit.session, case, promise_id)
        unit.send(
            new_times.use_safer_time(
                unit.session, case=case, promise=promise, actor_id=actor_id, now=unit.now, policy=ctx.policy
            )
        )
        unit.wake()
    return Changed(case=case, promise=promise)


def snooze(
    ctx: Context,
    *,
    team_id: str,
    actor_id: str,
    case_id: int,
    promise_id: int,
    choice: new_times.Snooze,
    once: Once | None = None,
) -> new_times.Snoozed:
    """The reminder comes again later (never after the last call before the due time)."""
    # "Tomorrow 9:00" is on the owner's clock: their zone may take a Slack call, so first.
    tz = zones(ctx, team_id=team_id, case_id=case_id).tz if choice is new_times.Snooze.TOMORROW else "UTC"
    with ctx.unit(once) as unit:
        case = cases.find_case(unit.session, team_id, case_id)
        promise = promises.open_promise(unit.session, case, promise_id)
        snoozed = new_times.snooze_reminder(
            unit.session,
            case=case,
            promise=promise,
            actor_id=actor_id,
            now=unit.now,
            policy=ctx.policy,
            choice=choice,
            tz=tz,
        )
        unit.wake()
    return snoozed
