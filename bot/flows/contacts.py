"""Contacts with the customer: every reply in a case thread is one (and may make a promise), an
edited or deleted reply keeps its history, and the card's form logs one without a reply.

Replies arrive as Events API deliveries recorded in the durable inbox before Slack got its
200 (handlers/listeners/inbox.py); each flow here finishes its inbox row in the same
transaction as its effects, so a crash part-way leaves it to be re-driven, and a re-drive
changes nothing twice (one contact per Slack message)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot import cases, channels, contacts, promises, team
from bot.errors import CaseError
from bot.flows.context import Context, Once, Unit
from bot.hygiene import Advice
from bot.timeparse import Clocks, due_time
from bot.validation import scrub
from storage import inbox, queries
from storage.models import Case, ContactKind, EventState, Promise

# How long a reply waits for a case card in its channel that is being posted right now.
CARD_IN_FLIGHT_WAIT = 5.0
# Only for cases opened this recently: a card Slack refused for good must not hold up every
# other reply in its channel.
CARD_IN_FLIGHT_WAIT_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class ThreadReply:
    """A person's reply in a thread, as plain values."""

    channel_id: str
    thread_ts: str
    ts: str
    author_id: str
    text: str
    # A reply that starts with `promise <when>: <what>` also makes a promise (read by the caller).
    promise_when: str | None = None
    promise_what: str | None = None
    # Why a reply that starts `promise` can't be read, when it can't: it is logged as a contact
    # all the same, but marked as not done (contacts.REFUSED_REACTION).
    promise_problem: str | None = None
    # A reply that starts `note:` is an internal note: kept on the case, never a contact.
    kind: ContactKind = ContactKind.CONTACT
    # Slack says the channel is private (the event's channel_type): its cases are, from now.
    private_channel: bool = False


@dataclass
class ReplyLogged:
    """What logging a reply leaves for its author to hear, if anything."""

    case: Case | None = None
    # Why the promise the reply asked for was not recorded (the reply is logged all the same,
    # with a ⚠️ rather than a ✅ when it is new).
    problem: str | None = None
    made: Promise | None = None
    # The promise stands; when it looks tight its author alone hears why, with a safer time.
    advice: Advice | None = None


def log_reply(ctx: Context, *, team_id: str, event_id: str, reply: ThreadReply) -> ReplyLogged:
    """The reply as a contact on the case whose thread it is in, and the promise it makes."""
    now = ctx.clock.now()
    deadline = time.monotonic() + CARD_IN_FLIGHT_WAIT
    while True:
        with ctx.unit() as unit:
            case = queries.case_by_thread(unit.session, team_id, reply.channel_id, reply.thread_ts)
            if case is not None:
                if reply.promise_when is None:
                    # A plain reply is found and logged in one transaction: most replies are.
                    return _log_contact(
                        unit, ctx, team_id, event_id, reply, case, now, None, reply.promise_problem
                    )
                owner_id, customer_tz = case.owner_id, case.customer_tz
                case_id = case.id
                break
            # Slack has shown a new card, but its ts is written only once Slack answered the
            # post: a reply that fast would be taken for one outside any case.
            posting = queries.card_being_posted(
                unit.session, team_id, reply.channel_id, since=now - CARD_IN_FLIGHT_WAIT_AFTER
            )
            if not posting or time.monotonic() >= deadline:
                inbox.finish(unit.session, team_id, event_id, EventState.IGNORED, now)
                return ReplyLogged()
        time.sleep(0.05)
    # The promise's time is read in its owner's time zone, which may take a Slack call:
    # outside any transaction.
    problem: str | None = None
    due_at = None
    try:
        assert reply.promise_when is not None
        with ctx.reading() as session:
            hours = team.working_hours_of(session, team_id, owner_id, ctx.policy.working_hours)
        clocks = Clocks(tz=ctx.directory.time_zone(team_id, owner_id), customer_tz=customer_tz, hours=hours)
        due_at = due_time(reply.promise_when, clocks, now)
    except CaseError as error:
        problem = str(error)
    with ctx.unit() as unit:
        case = cases.find_case(unit.session, team_id, case_id)
        return _log_contact(unit, ctx, team_id, event_id, reply, case, now, due_at, problem)


@dataclass(frozen=True)
class ReplyEvent:
    """A thread reply and the inbox row (team, event id) it came in."""

    team_id: str
    event_id: str
    reply: ThreadReply


def log_replies(ctx: Context, events: list[ReplyEvent]) -> list[ReplyEvent]:
    """What log_reply does for each of these replies, which make no promise, in one unit of
    work: one transaction for all, each case's card redrawn once, the reactions claimed and
    sent in one go. Under a storm of replies that is most of the cost of each one.

    Returns the replies to give to log_reply one by one: those in a thread whose case card is
    being posted right now (they may wait for it). A failure rolls back all of them (nothing is
    finished); the caller then logs them one by one, so one bad reply holds back no other."""
    assert all(event.reply.promise_when is None for event in events)
    later: list[ReplyEvent] = []
    with ctx.unit() as unit:
        session, now = unit.session, unit.now
        found = queries.cases_by_threads(
            session, [(e.team_id, e.reply.channel_id, e.reply.thread_ts) for e in events]
        )
        messages: list[contacts.ThreadMessage] = []
        finished: dict[tuple[str, EventState], list[str]] = {}
        posting: dict[tuple[str, str], bool] = {}
        made_private: set[tuple[str, str]] = set()
        for event in events:
            reply = event.reply
            case = found.get((event.team_id, reply.channel_id, reply.thread_ts))
            if case is not None:
                if reply.private_channel and not case.private:
                    # Once a channel: it marks all its cases (in SQL, so the batch's loaded
                    # cases are told here, as the one-by-one path does).
                    if (event.team_id, reply.channel_id) not in made_private:
                        channels.became_private(session, event.team_id, reply.channel_id, now)
                        made_private.add((event.team_id, reply.channel_id))
                    case.private = True
                messages.append(_message(case, reply))
                finished.setdefault((event.team_id, EventState.PROCESSED), []).append(event.event_id)
                continue
            where = (event.team_id, reply.channel_id)
            if where not in posting:
                since = now - CARD_IN_FLIGHT_WAIT_AFTER
                posting[where] = queries.card_being_posted(session, *where, since=since)
            if posting[where]:
                later.append(event)
            else:
                finished.setdefault((event.team_id, EventState.IGNORED), []).append(event.event_id)
        reactions, touched = contacts.log_contacts(session, messages, now)
        for (team_id, state), event_ids in finished.items():
            inbox.finish_all(session, team_id, event_ids, state, now)
        unit.send(reactions)
        for case in touched:
            unit.send_newest(f"card:{case.id}", cases.card_update_key(case))
    return later


def _message(case: Case, reply: ThreadReply) -> contacts.ThreadMessage:
    return contacts.ThreadMessage(
        case=case,
        channel_id=reply.channel_id,
        ts=reply.ts,
        author_id=reply.author_id,
        text=reply.text,
        posted_at=datetime.fromtimestamp(float(reply.ts), UTC),
    )


def _log_contact(
    unit: Unit,
    ctx: Context,
    team_id: str,
    event_id: str,
    reply: ThreadReply,
    case: Case,
    now: datetime,
    due_at: datetime | None,
    problem: str | None,
) -> ReplyLogged:
    """The reply as a contact, the promise it makes if any, and its inbox row finished.
    `problem`: why the promise it asks for can't be made (read before, outside this unit)."""
    session = unit.session
    logged = ReplyLogged(case=case, problem=problem)
    if reply.private_channel and not case.private:
        # A channel made private after its cases were opened (or one Slack's command didn't
        # say was): from this reply on, they are read as private.
        channels.became_private(session, team_id, reply.channel_id, now)
        case.private = True
    contact, _ = contacts.log_contact(
        session,
        case=case,
        channel_id=reply.channel_id,
        ts=reply.ts,
        author_id=reply.author_id,
        text=reply.text,
        posted_at=datetime.fromtimestamp(float(reply.ts), UTC),
        now=now,
        kind=reply.kind,
        react=False,
    )
    if contact is not None and due_at is not None and reply.promise_what is not None:
        _make_promise(unit, ctx, reply, case, now, due_at, logged)
    if contact is not None:
        # Reacted to once the promise is made or refused: a ✅ must not say all went well.
        refused = logged.problem is not None
        unit.send(
            [
                contacts.react_to(
                    session,
                    case=case,
                    channel_id=reply.channel_id,
                    ts=reply.ts,
                    now=now,
                    kind=reply.kind,
                    refused=refused,
                )
            ]
        )
    inbox.finish(session, team_id, event_id, EventState.PROCESSED, now)
    if contact is not None and reply.kind is ContactKind.CONTACT:
        # A storm of replies to one case redraws its card once per round, not once per reply.
        unit.send_newest(f"card:{case.id}", cases.card_update_key(case))
    return logged


def _make_promise(
    unit: Unit,
    ctx: Context,
    reply: ThreadReply,
    case: Case,
    now: datetime,
    due_at: datetime,
    logged: ReplyLogged,
) -> None:
    """The promise a new reply makes; a refusal is left in `logged.problem` for its author."""
    assert reply.promise_what is not None
    try:
        with unit.session.begin_nested():
            made, keys = promises.make_promise(
                unit.session,
                case=case,
                # Cleaned like the reply it comes from (bot/validation.py), not refused.
                description=scrub(reply.promise_what)[0],
                due_at=due_at,
                made_by=reply.author_id,
                now=now,
                policy=ctx.policy,
                source_ts=reply.ts,
            )
        logged.made = made
        unit.send(keys)
        unit.wake()
        if made.suggested_due_at is not None:
            logged.advice = promises.advice_for(unit.session, case, made, now)
    except CaseError as error:
        logged.problem = str(error)


def ignore(ctx: Context, *, team_id: str, event_id: str) -> None:
    """A recorded event that turned out to touch no case (a reply with no author)."""
    with ctx.unit() as unit:
        inbox.finish(unit.session, team_id, event_id, EventState.IGNORED, unit.now)


def reply_edited(ctx: Context, *, team_id: str, event_id: str, channel_id: str, ts: str, text: str) -> None:
    with ctx.unit() as unit:
        contacts.edit_contact(unit.session, channel_id=channel_id, ts=ts, new_text=text, now=unit.now)
        inbox.finish(unit.session, team_id, event_id, EventState.PROCESSED, unit.now)


def reply_deleted(ctx: Context, *, team_id: str, event_id: str, channel_id: str, ts: str) -> None:
    """The Slack message is gone; the contact stays, marked deleted."""
    with ctx.unit() as unit:
        contacts.delete_contact(unit.session, channel_id=channel_id, ts=ts, now=unit.now)
        inbox.finish(unit.session, team_id, event_id, EventState.PROCESSED, unit.now)


def log_from_form(
    ctx: Context,
    *,
    team_id: str,
    actor_id: str,
    case_id: int,
    form_id: str,
    text: str,
    via: str | None,
    once: Once | None = None,
) -> Case:
    """A contact told through the card's form. One per form: a double submission of the same
    view logs it once."""
    with ctx.unit(once) as unit:
        case = cases.find_case(unit.session, team_id, case_id)
        unit.send(
            contacts.log_contact_from_form(
                unit.session,
                case=case,
                key=f"form-{form_id}",
                author_id=actor_id,
                text=text,
                via=via,
                now=unit.now,
            )
        )
    return case
