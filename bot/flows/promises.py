"""Promises, intent by intent: make one (from words or from a picked time), keep it, give it a
new time, take the safer time, snooze its reminder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot import authz, cases, hygiene, new_times, promises
from bot.flows.context import Context, Once
from bot.timeparse import parse_when
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


def zones(ctx: Context, *, team_id: str, case_id: int) -> tuple[str, str | None]:
    """The case owner's time zone and the customer's: times are read on the owner's clock, or
    on the customer's when the text says so. The owner's may take a Slack call: outside any
    transaction."""
    with ctx.reading() as session:
        case = cases.find_case(session, team_id, case_id)
        cases.require_open(case)
        owner_id, customer_tz = case.owner_id, case.customer_tz
    return ctx.directory.time_zone(team_id, owner_id), customer_tz


def make(
    ctx: Context, *, team_id: str, actor_id: str, case_id: int, when: str, what: str, once: Once | None = None
) -> Made:
    """A promise whose time is in words ("tomorrow 3pm"), read in the owner's time zone."""
    with ctx.reading() as session:
        case = cases.find_case(session, team_id, case_id)
        # Refuse before asking Slack anything on behalf of someone who may not do this.
        cases.require_open(case)
        authz.require_may_change(session, case, actor_id, "record a promise on", ctx.policy.admins)
        owner_id, customer_tz = case.owner_id, case.customer_tz
    tz = ctx.directory.time_zone(team_id, owner_id)
    due_at = parse_when(when, tz, ctx.clock.now(), customer_tz)
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
    ctx: Context, *, team_id: str, actor_id: str, case_id: int, promise_id: int, once: Once | None = None
) -> datetime:
    """The reminder comes again later; returns when."""
    with ctx.unit(once) as unit:
        case = cases.find_case(unit.session, team_id, case_id)
        promise = promises.open_promise(unit.session, case, promise_id)
        again = new_times.snooze_reminder(
            unit.session, case=case, promise=promise, actor_id=actor_id, now=unit.now, policy=ctx.policy
        )
        unit.wake()
    return again
