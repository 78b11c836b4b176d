"""Handing a case over: the case and its open promises move to someone else, who is reminded
from now on, and whose manager is escalated to, at the times already planned."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy.orm import Session

from bot import audit, cases, escalation, notifications
from bot.audit import Action
from bot.authz import require_may_change
from bot.cases import require_open
from bot.errors import CaseError
from bot.notifications import NoteEvent
from bot.policy import Policy
from storage import plans, queries
from storage.models import Case, NotificationKind


def reassign_case(
    session: Session,
    *,
    case: Case,
    actor_id: str,
    new_owner_id: str,
    now: datetime,
    policy: Policy,
    also_allowed: Collection[str] = (),
) -> list[str]:
    """Hand a case, and the open promises on it, to someone else: they are reminded from now
    on and their manager is escalated to, at the times already planned. This is the one
    explicit way a frozen plan changes. Returns the outbox keys to send straight away (the
    new owner's DM and the note in the case thread). `also_allowed`: who may do it besides
    the owner, their managers and the admins (the people an escalation reached)."""
    require_open(case)
    require_may_change(session, case, actor_id, "reassign", {*policy.admins.of(case.team_id), *also_allowed})
    if new_owner_id == case.owner_id:
        raise CaseError(f"{case.ref} is <@{new_owner_id}>'s already.")
    previous = case.owner_id
    case.owner_id = new_owner_id
    chain = escalation.chain_for(
        session,
        team_id=case.team_id,
        owner_id=new_owner_id,
        case_channel=case.channel_id,
        escalation_channel=policy.escalation_channel,
    )
    for promise in queries.open_promises(session, case.id):
        promise.owner_id = new_owner_id
        # The safer time was worked out from the previous owner's workload and record.
        promise.suggested_due_at = None
        plans.redirect_pending(session, promise.id, NotificationKind.REMINDER, new_owner_id, None)
        escalation.replan_chain(session, case, promise, chain, now, policy.escalation_repeat)
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
    return [card_key] + _announce(session, case, actor_id, previous, now)


def _announce(session: Session, case: Case, actor_id: str, previous: str, now: datetime) -> list[str]:
    """The new owner, the case thread and (unless they did it) the previous owner hear of it."""
    handover = {
        "by": actor_id,
        "previous_owner": previous,
        "new_owner": case.owner_id,
        "event": NoteEvent.HANDED_OVER.value,
    }
    # Unique per hand-over: the same case may change hands again later.
    stamp = f"{case.id}:{case.owner_id}:{now.isoformat()}"
    targets = [
        (NotificationKind.HANDOVER, case.owner_id, None),
        (NotificationKind.HANDOVER_NOTE, case.channel_id, case.card_ts),
    ]
    if actor_id != previous:
        # The case was taken from them: they hear it is not theirs any more.
        targets.append((NotificationKind.PERSON_NOTE, previous, None))
    return notifications.say_now(session, case=case, now=now, payload=handover, stamp=stamp, targets=targets)
