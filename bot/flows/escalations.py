"""Answering an escalation, or asking for one early: acknowledge it, take the case over or hand
it to someone else, escalate now."""

from __future__ import annotations

from dataclasses import dataclass

from bot import cases, escalation, handover, promises
from bot.flows.cases import Reassigned
from bot.flows.context import Context, Once
from storage import queries
from storage.models import Case


@dataclass(frozen=True)
class Acknowledged:
    case: Case
    owner_id: str


@dataclass(frozen=True)
class Escalated:
    case: Case
    # Who hears of it now: a person's or a channel's id.
    to: str


def acknowledge(
    ctx: Context, *, team_id: str, actor_id: str, case_id: int, promise_id: int, once: Once | None = None
) -> Acknowledged:
    """Someone above the owner has seen the missed promise: the chain stops; the owner still owns
    it and is told who has seen it."""
    with ctx.unit(once) as unit:
        case = cases.find_case(unit.session, team_id, case_id)
        promise = promises.open_promise(unit.session, case, promise_id)
        unit.send(
            escalation.acknowledge(
                unit.session, case=case, promise=promise, actor_id=actor_id, now=unit.now, policy=ctx.policy
            )
        )
    return Acknowledged(case=case, owner_id=promise.owner_id)


def hand_over(
    ctx: Context,
    *,
    team_id: str,
    actor_id: str,
    case_id: int,
    promise_id: int | None,
    new_owner_id: str,
    once: Once | None = None,
) -> Reassigned:
    """From an escalation: whoever hands the case over has dealt with the escalation (its chain
    stops), then the case and its promises move to the new owner and their manager. Anyone the
    escalation reached may do it, even if the owner has changed manager since."""
    with ctx.unit(once) as unit:
        case = cases.find_case(unit.session, team_id, case_id)
        also_allowed: set[str] = set()
        if promise_id is not None:
            promise = promises.open_promise(unit.session, case, promise_id)
            if promise.acknowledged_by is None and actor_id != promise.owner_id:
                unit.send(
                    escalation.acknowledge(
                        unit.session,
                        case=case,
                        promise=promise,
                        actor_id=actor_id,
                        now=unit.now,
                        policy=ctx.policy,
                        # The hand-over says what happened: "you still own it" would be wrong.
                        announce=False,
                    )
                )
            also_allowed = escalation.deciders(promise, case, ctx.policy.admins.of(case.team_id))
        previous = case.owner_id
        unit.send(
            handover.reassign_case(
                unit.session,
                case=case,
                actor_id=actor_id,
                new_owner_id=new_owner_id,
                now=unit.now,
                policy=ctx.policy,
                also_allowed=also_allowed,
            )
        )
        still_open = len(queries.open_promises(unit.session, case.id))
    return Reassigned(case=case, previous_owner=previous, open_promises=still_open)


def escalate_now(
    ctx: Context, *, team_id: str, actor_id: str, case_id: int, promise_id: int, once: Once | None = None
) -> Escalated:
    """The owner asks for help before the promise is missed: the next level hears of it now."""
    with ctx.unit(once) as unit:
        case = cases.find_case(unit.session, team_id, case_id)
        promise = promises.open_promise(unit.session, case, promise_id)
        keys, to = escalation.escalate_now(
            unit.session, case=case, promise=promise, actor_id=actor_id, now=unit.now, policy=ctx.policy
        )
        unit.send(keys)
        unit.wake()
    return Escalated(case=case, to=to)
