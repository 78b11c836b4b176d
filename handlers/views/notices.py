"""The messages the bot sends on its own, from the outbox: the owner's reminder, the manager's
escalation and its note in the thread, hand-overs, a recurring problem, what someone did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ConfirmObject,
)

from bot.case_changes import FIELD_NAMES
from bot.clock import zone
from bot.notifications import NoteEvent
from bot.plurals import counted
from handlers.ids import ActionId, BlockId, Subject
from handlers.parse import USAGE
from handlers.views.blocks import (
    Message,
    button,
    clip,
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
from storage.models import Case, Contact, Promise, RecurringFlag


def reminder(case: Case, promise: Promise) -> Message:
    """The owner's reminder, with what they can do about it. Once they did something,
    handlers/listeners/actions.py redraws it in place without the buttons."""
    text = (
        f"Reminder: {case.ref} ({case.customer or 'customer'}): you promised “{promise.description}”,"
        f" due {when(promise.due_at)}."
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
                button("Snooze 15 min", ActionId.REMINDER_SNOOZE, subject),
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
    return message(safe(text), blocks)


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
        section(f"*Case:* {safe(clip(case.summary, 600))}"),
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
    blocks.append(context("Acknowledge stops the escalation and tells the owner you have it."))
    return message(safe(text), blocks)


def _escalation_status(case: Case, promise: Promise, now: datetime) -> tuple[str, str, str]:
    """The fallback text, the headline and the status line: help asked before the due time
    (Escalate now: nothing is missed yet), or a miss and how late it is."""
    if now < promise.due_at:
        left = duration(promise.due_at - now)
        text = (
            f"Help asked: {case.ref} ({case.customer or 'customer'}): <@{promise.owner_id}> promised"
            f" “{promise.description}”, due {when(promise.due_at)}, in {left}, and asks for help."
        )
        headline = f":sos: *{case.ref}: <@{promise.owner_id}> asks for help* · {customer_of(case)}"
        return text, headline, f"Due {when(promise.due_at)} · *in {left}*"
    late = duration(now - promise.due_at)
    text = (
        f"Escalation: {case.ref} ({case.customer or 'customer'}): <@{promise.owner_id}> promised"
        f" “{promise.description}”, due {when(promise.due_at)}, not kept; {late} late."
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
            f"{' (customer told)' if p.customer_told else ''}: {safe(clip(p.reschedule_note or '', 200))}"
            for p in facts.history[-5:]
        ]
        more = f"\n_and {len(facts.history) - 5} earlier_" if len(facts.history) > 5 else ""
        blocks.append(section("*Its history*\n" + "\n".join(lines) + more))
    if facts.last_contact is not None:
        contact = facts.last_contact
        blocks.append(
            context(
                f"Last contact {when(contact.posted_at)} by <@{contact.author_id}>:"
                f" {safe(clip(contact.text, 300))}"
            )
        )
    else:
        blocks.append(context("No contact with the customer logged yet."))
    owner = f"<@{promise.owner_id}>"
    if facts.owner_local_time:
        owner += f"'s local time: {facts.owner_local_time}"
    if facts.owner_status:
        owner += f" · status: {safe(clip(facts.owner_status, 100))}"
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


def recurring_flag(flag: RecurringFlag, flagged: list[Case]) -> Message:
    """A category of problems keeps coming back: worth fixing at the root."""
    closed = [c.closed_at for c in flagged if c.closed_at is not None]
    days = (max(closed) - min(closed)).days + 1 if closed else 1
    headline = (
        f":repeat: *A recurring problem: {safe(flag.category)}* · {len(flagged)} cases closed as"
        f" recurring within {counted(max(days, 1), 'day')}"
    )
    lines = [
        f"• *{c.ref}* · {customer_of(c)} · <@{c.owner_id}>"
        f" · closed {when(c.closed_at) if c.closed_at else ''}: {safe(clip(c.summary, 150))}"
        + (f" — _{safe(clip(c.close_note, 150))}_" if c.close_note else "")
        for c in flagged[:20]
    ]
    more = f"\n_and {len(flagged) - 20} more_" if len(flagged) > 20 else ""
    text = (
        f"A recurring problem: {flag.category}: {len(flagged)} cases closed as recurring"
        f" ({', '.join(c.ref for c in flagged[:20])}). Worth fixing at the root."
    )
    blocks: list[Block] = [
        section(headline),
        section("\n".join(lines) + more),
        context("Single events don't need a root-cause fix; a problem that keeps coming back does."),
    ]
    return message(safe(text), blocks)


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
        f"{what} “{promise.description}” on {case.ref} will reach <@{to}> at {when(until)},"
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
    return message(safe(text), blocks)


def case_note(case: Case, promise: Promise | None, payload: dict[str, Any]) -> Message:
    """Something someone did, said in the case thread: every choice is on the record."""
    by, event = f"<@{payload.get('by')}>", NoteEvent(payload["event"])
    what = f"“{safe(promise.description)}”" if promise is not None else "the promise"
    note = safe(clip(str(payload.get("note") or ""), 500))
    old = payload.get("old_due_at")
    if event is NoteEvent.ACKNOWLEDGED:
        text = f":raising_hand: {by} acknowledged the missed promise {what} and is on it."
    elif event is NoteEvent.RESCHEDULED:
        text = (
            f":calendar: {by} rescheduled {what}{_was(old, ' from {}')} to {when(_of(promise).due_at)};"
            f" the customer was told. Note: {note}"
        )
    elif event is NoteEvent.EXTENDED:
        new_time = when(_of(promise).due_at)
        text = f":calendar: {by} extended {what}{_was(old, ' from {}')} to {new_time}. Reason: {note}"
    elif event is NoteEvent.SAFER_TIME:
        safer = due_both(case, _of(promise).due_at)
        text = f":shield: {by} moved {what} to the safer time {safer}{_was(old, ' (was {})')}."
    elif event in (NoteEvent.CANCELLED, NoteEvent.REOPENED, NoteEvent.EDITED):
        text = _case_change(case, event, by, what, note, payload)
    else:
        assert event is NoteEvent.CONTACT
        via = f" by {payload.get('via')}" if payload.get("via") else ""
        said = safe(clip(str(payload.get("text") or ""), 2500))
        text = f":speech_balloon: Contact{via} logged by {by}: {said}"
    return message(text, [section(text)])


def _case_change(case: Case, event: NoteEvent, by: str, what: str, note: str, payload: dict[str, Any]) -> str:
    """A promise called off, the case reopened or edited: said in the thread, for the record."""
    if event is NoteEvent.CANCELLED:
        return (
            f":no_entry_sign: {by} cancelled the promise {what}; the customer was told. No reminder or"
            f" escalation will follow. Why: {note}"
        )
    if event is NoteEvent.REOPENED:
        return f":unlock: {by} reopened {case.ref}." + (f" Why: {note}" if note else "")
    changes = [_changed(change) for change in payload.get("changes") or []]
    return f":pencil2: {by} edited {case.ref}: " + "; ".join(changes) + "."


def _changed(change: dict[str, Any]) -> str:
    name = FIELD_NAMES.get(str(change.get("field")), str(change.get("field")))
    before, after = change.get("before"), change.get("after")
    shown = [safe(clip(str(value), 200)) if value else "_none_" for value in (before, after)]
    return f"{name} {shown[0]} → {shown[1]}"


def person_note(case: Case, promise: Promise | None, payload: dict[str, Any]) -> Message:
    """The same, told to the owner by DM: someone above them acknowledged their missed promise,
    gave it a new time, or called it off. Nothing else is told this way (bot/escalation.py:
    tell)."""
    by, event = f"<@{payload.get('by')}>", NoteEvent(payload["event"])
    what = f"“{safe(promise.description)}”" if promise is not None else "your promise"
    if event is NoteEvent.ACKNOWLEDGED:
        text = f"{by} acknowledged your missed promise {what} on {case.ref} and is taking it from here."
    elif event is NoteEvent.EXTENDED:
        note = safe(clip(str(payload.get("note") or ""), 500))
        text = f"{by} gave {what} on {case.ref} a new time: {when(_of(promise).due_at)}. Reason: {note}"
    elif event is NoteEvent.CANCELLED:
        note = safe(clip(str(payload.get("note") or ""), 500))
        text = f"{by} cancelled {what} on {case.ref}; no reminder or escalation will follow. Why: {note}"
    else:
        raise ValueError(f"a {event.value} note is never sent to the owner")
    return message(text, [section(text)])


def _of(promise: Promise | None) -> Promise:
    assert promise is not None, "this note is about a promise"
    return promise


def _was(old_due_at: str | None, shape: str) -> str:
    """The time a promise had before, when the note knows it."""
    return shape.format(when(datetime.fromisoformat(old_due_at))) if old_due_at else ""


def handed_over(case: Case, by: str, previous_owner: str) -> Message:
    """The DM to the new owner."""
    given = "handed it to you" if by == previous_owner else f"handed it over from <@{previous_owner}>"
    text = (
        f"{case.ref} ({case.customer or 'customer'}) is yours now: <@{by}> {given}."
        " Its promises' reminders come to you from now on."
    )
    blocks: list[Block] = [
        section(
            f":inbox_tray: *{case.ref} is yours now* · {customer_of(case)}\n"
            f"{safe(clip(case.summary, 300))}\n<@{by}> {given}."
        ),
        context(
            f"Its contacts and promises: `/case show {case.ref}`. Reminders for its promises come to you."
        ),
    ]
    return message(safe(text), blocks)


def handover_note(case: Case, by: str, previous_owner: str) -> Message:
    """In the case thread, for everyone following the case."""
    text = (
        f":arrows_counterclockwise: <@{by}> handed {case.ref} from <@{previous_owner}> to <@{case.owner_id}>."
    )
    return message(text, [section(text)])
