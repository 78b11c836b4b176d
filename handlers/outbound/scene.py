"""What an outbox row says and where: everything rendering it reads, loaded in one transaction
(its Scene), then the message and its target."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot import customers, promises, recurring
from bot.authz import Readable
from bot.forecast import Forecast
from handlers.outbound.posting import Target
from handlers.views import case_notes, notices
from handlers.views import promises as promise_views
from handlers.views.blocks import Message
from handlers.views.card import CardFacts, case_card
from handlers.views.notices import EscalationFacts
from storage import plans, queries
from storage.models import Case, Notification, NotificationKind, Promise, RecurringFlag
from storage.outbox import Claim


@dataclass
class Scene:
    """Everything rendering a row reads, loaded in one transaction."""

    case: Case
    promise: Promise | None
    card: CardFacts | None = None
    escalation: EscalationFacts | None = None
    # For an escalation note: how its escalation went.
    sibling: Notification | None = None
    # For a promise's note in the thread: when each level of its escalation really goes.
    forecast: Forecast | None = None
    # For a recurring-problem flag: the flag and its cases.
    flag: RecurringFlag | None = None
    flagged: list[Case] = field(default_factory=list)
    # Which of the flagged cases the recipient may read (bot/authz.py), found by the sender.
    readable: Readable = field(default_factory=Readable)
    # For a settled escalation: the messages that reached its recipient (row id, channel, ts),
    # and the promise that replaced a rescheduled one.
    reached: list[tuple[int, str, str]] = field(default_factory=list)
    successor: Promise | None = None


def load(session: Session, claim: Claim, now: datetime) -> Scene | None:
    """The row's case, its promise and what its kind of message shows; None when the case is gone."""
    case = session.get(Case, claim.case_id) if claim.case_id else None
    if case is None:
        return None
    promise_id = claim.promise_id or claim.payload.get("promise_id")
    promise = session.get(Promise, promise_id) if promise_id else None
    # Load what rendering reads while the session is open.
    _ = case.ref, case.summary
    scene = Scene(case=case, promise=promise)
    kind = NotificationKind(claim.kind)
    if kind in (NotificationKind.CASE_CARD, NotificationKind.CARD_UPDATE):
        still_open = queries.open_promises(session, case.id)
        scene.card = CardFacts(
            next_promise=still_open[0] if still_open else None,
            open_promises=len(still_open),
            contacts=queries.contact_count(session, case.id),
            # The card's readers are its channel's members: no other private channel's cases.
            history=customers.history(session, case, now, Readable.channel(case.channel_id)),
        )
    if kind is NotificationKind.ESCALATION and promise is not None:
        scene.escalation = EscalationFacts(
            level=claim.level,
            last_contact=queries.last_contact(session, case.id),
            history=promises.history(session, promise),
            owner_local_time=None,
            owner_status=None,
        )
    if kind is NotificationKind.RECURRING_FLAG:
        scene.flag, scene.flagged = recurring.flagged_cases(session, int(claim.payload["flag_id"]))
    if kind is NotificationKind.ESCALATION_SETTLED and promise is not None:
        scene.reached = [
            (row.id, row.delivered_channel, row.slack_ts)
            for row in plans.planned(session, promise.id, (NotificationKind.ESCALATION,))
            if row.recipient == claim.recipient and row.delivered_channel and row.slack_ts
        ]
        scene.successor = queries.successor_of(session, promise.id)
        _ = scene.successor.due_at if scene.successor is not None else None
    if kind is NotificationKind.ESCALATION_NOTE and promise is not None:
        scene.sibling = plans.notification_of(session, promise.id, NotificationKind.ESCALATION, claim.level)
    return scene


def compose(claim: Claim, scene: Scene, now: datetime, repeat: timedelta) -> tuple[Target, Message]:
    """The message for a row about a case, and where it goes. `repeat`: ESCALATION_REPEAT, which
    a promise's plan line states."""
    kind = NotificationKind(claim.kind)
    case, promise = scene.case, scene.promise
    in_thread = Target(case.channel_id, case.card_ts)
    if kind is NotificationKind.CASE_CARD:
        assert scene.card is not None
        return Target(case.channel_id), case_card(case, scene.card, now)
    if kind in (NotificationKind.HANDOVER, NotificationKind.HANDOVER_NOTE):
        by, previous = claim.payload["by"], claim.payload["previous_owner"]
        if kind is NotificationKind.HANDOVER:
            return Target(claim.recipient), case_notes.handed_over(case, by, previous)
        return in_thread, case_notes.handover_note(case, by, previous)
    if kind is NotificationKind.CASE_NOTE:
        return in_thread, case_notes.case_note(case, promise, claim.payload)
    if kind is NotificationKind.PERSON_NOTE:
        return Target(claim.recipient), case_notes.person_note(case, promise, claim.payload)
    if kind is NotificationKind.RECURRING_FLAG:
        assert scene.flag is not None, "the flag is gone"
        return Target(claim.recipient), notices.recurring_flag(scene.flag, scene.flagged, scene.readable)
    assert promise is not None, f"{kind.value} needs a promise"
    if kind is NotificationKind.PROMISE_NOTE:
        assert scene.forecast is not None, "the sender works out the plan first"
        return in_thread, promise_views.promise_note(case, promise, repeat, scene.forecast)
    if kind is NotificationKind.ESCALATION_WAITING:
        return Target(claim.recipient), notices.escalation_waiting(case, promise, claim.payload, now)
    if kind is NotificationKind.ESCALATION_NOTE:
        to = scene.sibling.recipient if scene.sibling is not None else claim.recipient
        return in_thread, notices.escalation_note(case, promise, now, to)
    if kind is NotificationKind.REMINDER:
        return Target(claim.recipient), notices.reminder(case, promise, now)
    if kind is NotificationKind.MANAGER_MISSING:
        return Target(claim.recipient), notices.manager_missing(case, promise)
    if kind is NotificationKind.ESCALATION:
        assert scene.escalation is not None
        decision = notices.escalation(case, promise, now, scene.escalation)
        if not _may_read(claim.recipient, case):
            # The last level, ESCALATION_CHANNEL, for a private channel's case: who and when,
            # not what (bot/authz.py); acknowledging or taking it over needs no more.
            decision = notices.escalation_without_details(case, promise, now, decision)
        if claim.recipient == case.channel_id:
            return Target(case.channel_id, case.card_ts, broadcast=True), decision
        return Target(claim.recipient), decision
    raise ValueError(f"unknown notification kind {claim.kind}")


def _may_read(recipient: str, case: Case) -> bool:
    """A channel reads what its members may; a person an escalation reaches is in the chain."""
    return not recipient.startswith(("C", "G")) or Readable.channel(recipient).allows(case)
