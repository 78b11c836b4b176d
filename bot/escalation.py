"""The escalation chain of a promise: who hears of a miss, level by level, and when.

Level 1 is the owner's manager, level 2 that manager's manager, and the last level a channel
(ESCALATION_CHANNEL, or the case's own). The chain is frozen onto the promise when it is made
(as PagerDuty and Grafana OnCall do): a later `/case manager` doesn't change promises already
made; only a reassign does. Every level is one outbox row written up front, so nothing is lost
in a crash and `UNIQUE(promise, kind, level)` sends each level once. A level's planned time
is provisional: when a level goes out (or waits for working hours) the later ones move so
that each gets ESCALATION_REPEAT to acknowledge before the next.

Nothing here talks to Slack."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot import audit, levels, notifications
from bot.audit import Action
from bot.authz import manager_chain, may_change, require_may_change
from bot.errors import CaseError
from bot.notifications import NoteEvent
from bot.policy import Policy
from bot.workhours import WorkingHours
from storage import plans
from storage.models import (
    Case,
    CasePriority,
    Notification,
    NotificationKind,
    NotificationState,
    Promise,
    PromiseState,
)

# Users above the owner who are paged before the channel: the manager and theirs.
PEOPLE_LEVELS = 2
ESCALATION_KINDS = (NotificationKind.ESCALATION, NotificationKind.ESCALATION_NOTE)


def is_channel(recipient: str) -> bool:
    return recipient.startswith(("C", "G"))


def chain_for(
    session: Session, *, team_id: str, owner_id: str, case_channel: str, escalation_channel: str | None
) -> list[str]:
    """The owner's manager and their manager (as far as they are set), then a channel."""
    people = manager_chain(session, team_id, owner_id)[:PEOPLE_LEVELS]
    return [*people, escalation_channel or case_channel]


def chain_of(promise: Promise, case: Case) -> list[str]:
    """The frozen chain; promises made before chains existed escalate once, as they were made."""
    if promise.escalation_chain:
        return list(promise.escalation_chain)
    return [promise.escalate_to or case.channel_id]


def first_person(chain: list[str]) -> str | None:
    return next((to for to in chain if not is_channel(to)), None)


def plan_chain(session: Session, case: Case, promise: Promise, now: datetime, repeat: timedelta) -> None:
    """Write every level of the promise's chain to the outbox (in the caller's transaction)."""
    chain = chain_of(promise, case)
    _apply(session, case, promise, chain, now, repeat, nobody_above=first_person(chain) is None)


def replan_chain(
    session: Session, case: Case, promise: Promise, chain: list[str], now: datetime, repeat: timedelta
) -> None:
    """A reassign: the same times, the new owner's chain. Levels already sent (or being sent)
    stay as they were, and so does whoever they reached, in the chain: they were told and may
    act. The new chain follows from the next level, without anyone already told, so nobody in
    it is skipped for a level number someone else used (the channel hears last even when the
    new owner has nobody above them). Levels the merged chain lacks are cancelled."""
    merged = levels.merged_chain(levels.out(session, promise.id), chain, chain_of(promise, case))
    promise.escalation_chain = merged
    promise.escalate_to = first_person(merged)
    if promise.acknowledged_at is None:
        _apply(session, case, promise, merged, now, repeat, nobody_above=first_person(chain) is None)


def _apply(
    session: Session,
    case: Case,
    promise: Promise,
    chain: list[str],
    now: datetime,
    repeat: timedelta,
    *,
    nobody_above: bool,
) -> None:
    wanted: dict[tuple[NotificationKind, int], tuple[str, str | None]] = {}
    for level, to in enumerate(chain, start=1):
        in_case_thread = to == case.channel_id
        wanted[(NotificationKind.ESCALATION, level)] = (to, case.card_ts if in_case_thread else None)
        if not in_case_thread:
            # Everyone following the case hears that it went up, and to whom.
            wanted[(NotificationKind.ESCALATION_NOTE, level)] = (case.channel_id, case.card_ts)
    if nobody_above:
        # Nobody above the owner: they are asked to name a manager.
        wanted[(NotificationKind.MANAGER_MISSING, 1)] = (promise.owner_id, None)
    kinds = (*ESCALATION_KINDS, NotificationKind.MANAGER_MISSING)
    existing = {
        (NotificationKind(row.kind), row.level): row for row in plans.planned(session, promise.id, kinds)
    }
    for (kind, level), row in existing.items():
        if (kind, level) not in wanted:
            # Only a row still waiting is called off; one being sent this moment is fenced.
            plans.cancel_row(session, row.id, "plan changed")
    for (kind, level), (to, thread_ts) in wanted.items():
        run_at = level_at(promise, level, repeat)
        row = existing.get((kind, level))
        if row is None:
            notifications.enqueue(
                session,
                team_id=case.team_id,
                kind=kind,
                recipient=to,
                thread_ts=thread_ts,
                run_at=run_at,
                now=now,
                promise=promise,
                level=level,
                dedupe_key=notifications.promise_key(promise, kind, level),
            )
        elif row.state is NotificationState.CANCELLED and row.last_error == "plan changed":
            plans.revive(session, row.id, to, thread_ts, max(run_at, now))
        elif row.state in (NotificationState.PENDING, NotificationState.CLAIMED):
            row.recipient, row.thread_ts = to, thread_ts


def level_at(promise: Promise, level: int, repeat: timedelta) -> datetime:
    """When a level of the chain is planned: level 1 at the escalation time, each next one
    ESCALATION_REPEAT later."""
    return promise.escalate_at + (level - 1) * repeat


def hold_until(
    quiet: WorkingHours | None, *, moment: datetime, tz: str, priority: CasePriority
) -> datetime | None:
    """When an escalation to someone in `tz` may go out, if not now: outside their working
    hours it waits for the next one, unless the case is urgent. No working hours (None, the
    default): never held."""
    if priority is CasePriority.URGENT or quiet is None:
        return None
    return quiet.next_start(moment, tz)


# -- deciding, when a level falls due ------------------------------------------------------


@dataclass(frozen=True)
class Go:
    """Send it now."""


@dataclass(frozen=True)
class Wait:
    """Not now: back in line at `until`."""

    until: datetime
    reason: str


@dataclass(frozen=True)
class Drop:
    """Never: there is nothing to say any more."""

    reason: str


Decision = Go | Wait | Drop

# How long an escalation note waits for its escalation before looking again.
NOTE_WAIT = timedelta(seconds=5)


def needs_working_hours(case: Case, recipient: str) -> bool:
    """Whether deciding on a level for `recipient` depends on their working hours (and so on
    their time zone, which the sender may have to ask Slack for): people, unless it's urgent."""
    return not is_channel(recipient) and case.priority is not CasePriority.URGENT


def decide_level(
    session: Session,
    *,
    case: Case,
    promise: Promise,
    level: int,
    recipient: str,
    now: datetime,
    policy: Policy,
    quiet: tuple[WorkingHours | None, str] | None = None,
) -> Decision:
    """Whether a level of the chain goes out now. `quiet`: the recipient's working hours (None:
    none) and time zone, when needs_working_hours() says they matter. Acknowledged: never. A
    level below it not out yet: not before that one has had its ESCALATION_REPEAT (levels
    claimed together after downtime go in order, so the channel never hears before the
    managers). Outside the recipient's hours: at their next working hour, every later level
    moves to keep its full ESCALATION_REPEAT after that, and the owner is told it waits.
    Going now: the later levels get their ESCALATION_REPEAT from now."""
    if promise.acknowledged_at is not None:
        return Drop("acknowledged")
    below = levels.earliest_after_those_below(session, promise.id, level, now, policy.escalation_repeat)
    if below is not None:
        return Wait(until=max(below, now + NOTE_WAIT), reason="a level below it has not gone out yet")
    if quiet is not None and needs_working_hours(case, recipient):
        hours, tz = quiet
        until = hold_until(hours, moment=now, tz=tz, priority=case.priority)
        if until is not None:
            move_later_levels(session, promise.id, level, until, policy.escalation_repeat)
            levels.tell_owner_it_waits(session, case, promise, level, recipient, until, tz, now)
            return Wait(until=until, reason="outside the recipient's working hours")
    move_later_levels(session, promise.id, level, now, policy.escalation_repeat)
    return Go()


def decide_note(promise: Promise | None, escalation: Notification | None, now: datetime) -> Decision:
    """The note in the case thread that a level went up is said only once that level went out
    (it may be waiting for working hours), and never once the promise was acknowledged."""
    if promise is not None and promise.acknowledged_at is not None:
        return Drop("acknowledged")
    if escalation is None or escalation.state in (NotificationState.CANCELLED, NotificationState.DEAD):
        return Drop("its escalation was not sent")
    if escalation.state is not NotificationState.SENT:
        return Wait(until=max(escalation.run_at, now + NOTE_WAIT), reason="its escalation is not out yet")
    return Go()


def move_later_levels(
    session: Session, promise_id: int, level: int, base: datetime, repeat: timedelta
) -> None:
    """Level `level` goes out at `base`: every later level gets its ESCALATION_REPEAT after."""
    for row in plans.planned(session, promise_id, ESCALATION_KINDS):
        if row.level > level and row.state is NotificationState.PENDING:
            earliest = base + (row.level - level) * repeat
            if row.run_at < earliest:
                plans.set_run_at(session, row.id, earliest)


def deciders(promise: Promise, case: Case, admins: Collection[str]) -> set[str]:
    """Who may act on an escalation besides the owner's current managers: the people it was
    planned to reach (the chain is frozen; the owner may have changed manager since) and the
    admins. Used as the extra allowed ids for take over, reassign and extend."""
    return {to for to in chain_of(promise, case) if not is_channel(to)} | set(admins)


def may_acknowledge(
    session: Session, case: Case, promise: Promise, actor_id: str, admins: Collection[str]
) -> bool:
    if actor_id == promise.owner_id:
        return False
    if actor_id in chain_of(promise, case) or may_change(session, case, actor_id, admins):
        return True
    # Once the channel has heard of it, anyone there may take it on.
    return any(
        is_channel(row.recipient) and row.state is NotificationState.SENT
        for row in plans.planned(session, promise.id, (NotificationKind.ESCALATION,))
    )


def acknowledge(
    session: Session,
    *,
    case: Case,
    promise: Promise,
    actor_id: str,
    now: datetime,
    policy: Policy,
    announce: bool = True,
) -> list[str]:
    """Someone above the owner has seen it: the chain stops, the owner stays the owner and is
    told who saw it. Returns the outbox keys to send straight away. announce=False when it is
    part of a take-over or reassign, which says itself what happened (the case moved)."""
    if promise.state is not PromiseState.OPEN:
        raise CaseError(
            f"“{promise.description}” on {case.ref} is {promise.state.value} already: nothing to acknowledge."
        )
    if promise.acknowledged_by:
        who = "You" if promise.acknowledged_by == actor_id else f"<@{promise.acknowledged_by}>"
        raise CaseError(f"{who} acknowledged “{promise.description}” on {case.ref} already.")
    if not may_acknowledge(session, case, promise, actor_id, policy.admins.of(case.team_id)):
        if actor_id == promise.owner_id:
            raise CaseError(
                "You can't acknowledge your own missed promise: keep it, or reschedule it with the customer."
            )
        raise CaseError(f"Only the people {case.ref} escalates to can acknowledge it.")
    promise.acknowledged_by = actor_id
    promise.acknowledged_at = now
    plans.cancel_pending(session, promise.id, "acknowledged", ESCALATION_KINDS)
    audit.record(
        session,
        Action.ESCALATION_ACKNOWLEDGED,
        team_id=case.team_id,
        at=now,
        actor_id=actor_id,
        case=case,
        promise=promise,
    )
    if not announce:
        return []
    return tell(session, case, promise, NoteEvent.ACKNOWLEDGED, actor_id, now, owner=True)


def escalate_now(
    session: Session,
    *,
    case: Case,
    promise: Promise,
    actor_id: str,
    now: datetime,
    policy: Policy,
) -> tuple[list[str], str]:
    """The owner (or someone above them) asks for help before the promise is missed: the next
    level not yet told is told now. Returns the outbox key and who it goes to."""
    require_may_change(session, case, actor_id, "escalate", policy.admins.of(case.team_id))
    if promise.state is not PromiseState.OPEN:
        raise CaseError(
            f"“{promise.description}” on {case.ref} is {promise.state.value} already: nothing to escalate."
        )
    if promise.acknowledged_by:
        raise CaseError(f"<@{promise.acknowledged_by}> has acknowledged it already.")
    pending = [
        row
        for row in plans.planned(session, promise.id, (NotificationKind.ESCALATION,))
        if row.state is NotificationState.PENDING
    ]
    if not pending:
        raise CaseError(f"Everyone in the escalation plan of {case.ref} has been told already.")
    row = pending[0]
    plans.set_run_at(session, row.id, now)
    for note in plans.planned(session, promise.id, (NotificationKind.ESCALATION_NOTE,)):
        if note.level == row.level and note.state is NotificationState.PENDING:
            plans.set_run_at(session, note.id, now)
    move_later_levels(session, promise.id, row.level, now, policy.escalation_repeat)
    audit.record(
        session,
        Action.ESCALATED_EARLY,
        team_id=case.team_id,
        at=now,
        actor_id=actor_id,
        case=case,
        promise=promise,
        level=row.level,
    )
    return [row.dedupe_key], row.recipient


def tell(
    session: Session,
    case: Case,
    promise: Promise | None,
    event: NoteEvent,
    actor_id: str,
    now: datetime,
    *,
    owner: bool = False,
    **detail: str | None,
) -> list[str]:
    """Say in the case thread (and, with owner=True, to the owner by DM) what someone did.
    Returns the outbox keys, to be sent straight away."""
    payload = {"event": event.value, "by": actor_id, "promise_id": promise.id if promise else None, **detail}
    stamp = f"{case.id}:{event.value}:{promise.id if promise else '-'}:{now.isoformat()}"
    targets = [(NotificationKind.CASE_NOTE, case.channel_id, case.card_ts)]
    if owner and actor_id != case.owner_id:
        targets.append((NotificationKind.PERSON_NOTE, case.owner_id, None))
    return notifications.say_now(session, case=case, now=now, payload=payload, stamp=stamp, targets=targets)
