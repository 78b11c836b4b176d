"""The messages the bot sends on its own, from the outbox: the owner's reminder, the manager's
escalation and its note in the thread, a recurring problem. What someone did to a case (notes in
its thread, DMs to its owner, hand-overs) is handlers/views/case_notes.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ConfirmObject,
)

from bot.authz import Readable
from bot.clock import zone
from bot.plurals import counted
from handlers.ids import ActionId, BlockId, Subject
from handlers.usage import USAGE
from handlers.views.blocks import (
    Message,
    button,
    context,
    customer_of,
    due_both,
    duration,
    message,
    recipient,
    safe,
    section,
    when,
)
from handlers.views.snooze import snooze_menu
from storage.models import Case, Contact, Promise, RecurringFlag


def reminder(case: Case, promise: Promise, now: datetime) -> Message:
    """The owner's reminder, drawn at `now`, with what they can do about it. Once they did
    something, handlers/listeners/actions.py redraws it in place without the buttons."""
    text = (
        f"Reminder: {case.ref} ({safe(case.customer or 'customer')}): you promised"
        f" “{safe(promise.description)}”, due {when(promise.due_at)}."
    )
    blocks: list[Block] = [
        section(
            f":alarm_clock: *Reminder for {case.ref}* · {customer_of(case)}\n"
            f"You promised: “{safe(promise.description)}”\nDue {due_both(case, promise.due_at)}"
        ),
    ]
    subject = Subject(case_id=case.id, promise_id=promise.id)
    blocks.append(
        ActionsBlock(
            block_id=BlockId.REMINDER_ACTIONS.value,
            elements=[
                button("Done", ActionId.REMINDER_DONE, subject, "primary"),
                button("Reschedule", ActionId.REMINDER_RESCHEDULE, subject),
                *snooze_menu(promise, subject, now),
                button(
                    "Escalate now",
                    ActionId.REMINDER_ESCALATE,
                    subject,
                    "danger",
                    ConfirmObject(
                        title="Ask for help now?",
                        text="Your manager hears about it now, before the promise is missed.",
                        confirm="Escalate",
                        deny="Cancel",
                    ),
                ),
            ],
        )
    )
    blocks.append(context("Can't make it? Tell the customer now and offer a new time, then Reschedule."))
    return message(text, blocks)


@dataclass(frozen=True)
class EscalationFacts:
    """What a manager needs to decide, read when the escalation is sent."""

    level: int
    last_contact: Contact | None
    history: list[Promise]
    owner_local_time: str | None
    owner_status: str | None


def escalation(case: Case, promise: Promise, now: datetime, facts: EscalationFacts) -> Message:
    """A decision, not a page: everything needed to act, and the buttons to do it."""
    text, headline, status = _escalation_status(case, promise, now)
    level = f" · level {facts.level}: not acknowledged at the level before" if facts.level > 1 else ""
    blocks: list[Block] = [
        section(
            f"{headline}{level}\n<@{promise.owner_id}> promised: “{safe(promise.description)}”\n{status}"
        ),
        section(f"*Case:* {safe(case.summary, 600)}"),
        *_escalation_facts(promise, facts),
    ]
    subject = Subject(case_id=case.id, promise_id=promise.id)
    blocks.append(
        ActionsBlock(
            block_id=BlockId.ESCALATION_ACTIONS.value,
            elements=[
                button("Acknowledge", ActionId.ESCALATION_ACKNOWLEDGE, subject, "primary"),
                button("Take over", ActionId.ESCALATION_TAKE_OVER, subject),
                button("Reassign", ActionId.ESCALATION_REASSIGN, subject),
                button("Extend with reason", ActionId.ESCALATION_EXTEND, subject),
            ],
        )
    )
    blocks.append(
        context(
            f"Acknowledge: you've seen it, the escalation stops, <@{promise.owner_id}> still owns it."
            " Take over: the case and its promises become yours."
        )
    )
    return message(text, blocks)


def _escalation_status(case: Case, promise: Promise, now: datetime) -> tuple[str, str, str]:
    """The fallback text, the headline and the status line: help asked before the due time
    (Escalate now: nothing is missed yet), or a miss and how late it is."""
    if now < promise.due_at:
        left = duration(promise.due_at - now)
        text = (
            f"Help asked: {case.ref} ({safe(case.customer or 'customer')}): <@{promise.owner_id}> promised"
            f" “{safe(promise.description)}”, due {when(promise.due_at)}, in {left}, and asks for help."
        )
        headline = f":sos: *{case.ref}: <@{promise.owner_id}> asks for help* · {customer_of(case)}"
        return text, headline, f"Due {when(promise.due_at)} · *in {left}*"
    late = duration(now - promise.due_at)
    text = (
        f"Escalation: {case.ref} ({safe(case.customer or 'customer')}): <@{promise.owner_id}> promised"
        f" “{safe(promise.description)}”, due {when(promise.due_at)}, not kept; {late} late."
    )
    headline = f":rotating_light: *{case.ref} missed a promise* · {customer_of(case)}"
    return text, headline, f"Due {when(promise.due_at)} · *{late} late*"


def _escalation_facts(promise: Promise, facts: EscalationFacts) -> list[Block]:
    """What a manager weighs: the promise's earlier times, the last contact, the owner's clock."""
    blocks: list[Block] = []
    if facts.history:
        lines = [
            f"• was due {when(p.due_at)}; given a new time by"
            f" <@{p.rescheduled_by}> {when(p.rescheduled_at) if p.rescheduled_at else ''}"
            f"{' (customer told)' if p.customer_told else ''}: {safe(p.reschedule_note, 200)}"
            for p in facts.history[-5:]
        ]
        more = f"\n_and {len(facts.history) - 5} earlier_" if len(facts.history) > 5 else ""
        blocks.append(section("*Its history*\n" + "\n".join(lines) + more))
    if facts.last_contact is not None:
        contact = facts.last_contact
        blocks.append(
            context(
                f"Last contact {when(contact.posted_at)} by <@{contact.author_id}>: {safe(contact.text, 300)}"
            )
        )
    else:
        blocks.append(context("No contact with the customer logged yet."))
    owner = f"<@{promise.owner_id}>"
    if facts.owner_local_time:
        owner += f"'s local time: {facts.owner_local_time}"
    if facts.owner_status:
        owner += f" · status: {safe(facts.owner_status, 100)}"
    blocks.append(context(owner))
    return blocks


def escalation_note(case: Case, promise: Promise, now: datetime, to: str) -> Message:
    if now < promise.due_at:
        text = (
            f":sos: <@{promise.owner_id}> asked for help with “{safe(promise.description)}”"
            f" (due in {duration(promise.due_at - now)}); escalated to {recipient(to, case)}."
        )
    else:
        late = duration(now - promise.due_at)
        text = (
            f":warning: The promise “{safe(promise.description)}” is {late} overdue;"
            f" escalated to {recipient(to, case)}."
        )
    return message(text, [section(text)])


def recurring_flag(flag: RecurringFlag, flagged: list[Case], readable: Readable) -> Message:
    """A category of problems keeps coming back: worth fixing at the root. A case its reader may
    not read (another private channel's) is counted and named, never described."""
    closed = [c.closed_at for c in flagged if c.closed_at is not None]
    days = (max(closed) - min(closed)).days + 1 if closed else 1
    headline = (
        f":repeat: *A recurring problem: {safe(flag.category)}* · {len(flagged)} cases closed as"
        f" recurring within {counted(max(days, 1), 'day')}"
    )
    lines = [
        _flagged_line(c) if readable.allows(c) else f"• *{c.ref}* · _in a private channel_"
        for c in flagged[:20]
    ]
    more = f"\n_and {len(flagged) - 20} more_" if len(flagged) > 20 else ""
    text = (
        f"A recurring problem: {safe(flag.category)}: {len(flagged)} cases closed as recurring"
        f" ({', '.join(c.ref for c in flagged[:20])}). Worth fixing at the root."
    )
    blocks: list[Block] = [
        section(headline),
        section("\n".join(lines) + more),
        context("Single events don't need a root-cause fix; a problem that keeps coming back does."),
    ]
    return message(text, blocks)


def _flagged_line(case: Case) -> str:
    closed = when(case.closed_at) if case.closed_at else ""
    note = f" — _{safe(case.close_note, 150)}_" if case.close_note else ""
    return (
        f"• *{case.ref}* · {customer_of(case)} · <@{case.owner_id}> · closed {closed}:"
        f" {safe(case.summary, 150)}{note}"
    )


def escalation_without_details(case: Case, promise: Promise, now: datetime, full: Message) -> Message:
    """An escalation to a channel that may not read the case (ESCALATION_CHANNEL, for a case in
    another, private channel): the case, who promised and when, and the buttons that need no
    more (acknowledge, take over); what was promised, to whom and why stays in its channel."""
    late = f"{duration(now - promise.due_at)} late" if now >= promise.due_at else "help asked"
    text = (
        f":rotating_light: *{case.ref}*: <@{promise.owner_id}> has a promise due {when(promise.due_at)}"
        f" ({late}). The case is in a private channel, so its details stay there."
    )
    actions = [b for b in full.blocks if b.get("type") == "actions"]
    for block in actions:
        block["elements"] = [
            e
            for e in block["elements"]
            if e.get("action_id")
            in (ActionId.ESCALATION_ACKNOWLEDGE.value, ActionId.ESCALATION_TAKE_OVER.value)
        ]
    return Message(text=text, blocks=[section(text).to_dict(), *actions])


def manager_missing(case: Case, promise: Promise) -> Message:
    text = (
        f"{case.ref}: your promise “{safe(promise.description)}” was missed and escalated to the case channel"
        f" because you had no manager set when you made it. Name one with {USAGE['manager']}: they"
        " get a DM to accept, and your promises escalate to them once they have."
    )
    return message(text, [section(text)])


def escalation_waiting(case: Case, promise: Promise, payload: dict[str, Any], now: datetime) -> Message:
    """To the owner: a level of their escalation waits for its recipient's working hours, so
    nobody hears of it until then."""
    to, until, tz = payload["to"], datetime.fromisoformat(payload["until"]), payload.get("tz")
    theirs = f" ({until.astimezone(zone(tz)):%a %H:%M} {tz})" if tz else ""
    what = "Your missed promise" if now >= promise.due_at else "Your request for help with the promise"
    text = (
        f"{what} “{safe(promise.description)}” on {case.ref} will reach <@{to}> at {when(until)},"
        f" <@{to}>'s next working hour{theirs}; nobody hears of it before then. Keep the customer"
        " posted meanwhile."
    )
    subject = Subject(case_id=case.id, promise_id=promise.id)
    blocks: list[Block] = [
        section(
            f":hourglass_flowing_sand: *{case.ref}* · {customer_of(case)}\n"
            f"{what} “{safe(promise.description)}” will reach <@{to}> at {when(until)},"
            f" <@{to}>'s next working hour{theirs}."
        ),
        context("Nobody hears of it before then: keep the customer posted meanwhile."),
        ActionsBlock(
            block_id=BlockId.REMINDER_ACTIONS.value,
            elements=[
                button("Done", ActionId.REMINDER_DONE, subject, "primary"),
                button("Reschedule", ActionId.REMINDER_RESCHEDULE, subject),
            ],
        ),
    ]
    return message(text, blocks)
