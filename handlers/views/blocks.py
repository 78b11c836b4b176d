"""Block Kit for everything the bot says, built with slack_sdk's models, each with a plain `text`
fallback (notifications, screen readers, clients without blocks).

Times are `<!date^…>` tokens, so every reader sees their own local time; the fallback after
the `|` is UTC. Text people typed is shown as typed, except that broadcast mentions are
disarmed: a case summary must never ping @channel."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot import hygiene
from bot.clock import zone
from handlers.ids import ActionId, BlockId, Subject
from handlers.parse import USAGE
from storage.models import Case, CaseState, Contact, Promise, PromiseState, RecurringFlag

SECTION_TEXT_LIMIT = 3000
MAX_CONTACTS_SHOWN = 15
# A message holds at most 50 blocks; promises beyond these are counted, not listed.
MAX_PROMISES_SHOWN = 40

_BROADCAST = re.compile(r"<!(channel|here|everyone|subteam\^[A-Z0-9]+)(\|[^>]*)?>")


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def safe(text: str) -> str:
    """People's text as they typed it, minus the power to notify everyone."""
    return _BROADCAST.sub(lambda m: "@" + m.group(1).split("^")[0], text or "")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(moment: datetime, style: str = "{date_short_pretty} {time}") -> str:
    """A time every reader sees in their own zone."""
    epoch = int(moment.timestamp())
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{style}|{fallback}>"


def duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    return " ".join(p for p in parts if p)


def customer_clock(case: Case, moment: datetime) -> str:
    """The same moment on the customer's wall clock, when the case knows their zone: what the
    agent says to the customer ("15:00 for the customer"), next to the reader's own time."""
    if not case.customer_tz:
        return ""
    local = moment.astimezone(zone(case.customer_tz))
    return f"{local:%H:%M} {local:%a %b} {local.day} for the customer ({case.customer_tz})"


def due_both(case: Case, moment: datetime) -> str:
    """ "<!date> for you = 15:00 Wed Nov 25 for the customer (Europe/Berlin)", or just the date."""
    theirs = customer_clock(case, moment)
    return f"{when(moment)} for you = {theirs}" if theirs else when(moment)


def customer_of(case: Case) -> str:
    return safe(case.customer) if case.customer else "_not given_"


def section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_TEXT_LIMIT)))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, SECTION_TEXT_LIMIT))])


def message(text: str, blocks: list[Block]) -> Message:
    return Message(text=clip(text, 3900), blocks=[b.to_dict() for b in blocks])


def recipient(to: str, case: Case) -> str:
    if to == case.channel_id:
        return "this channel"
    return f"<#{to}>" if to.startswith(("C", "G")) else f"<@{to}>"


def chain_text(case: Case, promise: Promise, repeat: timedelta) -> str:
    """Who hears of a miss, in order: "<@maria>, then <@boss> after 30m, then #support-leads"."""
    chain = promise.escalation_chain or [promise.escalate_to or case.channel_id]
    steps = [recipient(chain[0], case)]
    steps += [f"then {recipient(to, case)} after {duration(repeat)} unacknowledged" for to in chain[1:]]
    return ", ".join(steps)


def plan_line(case: Case, promise: Promise, repeat: timedelta, owner_view: bool = True) -> str:
    reminder_to = "you" if owner_view else f"<@{promise.owner_id}>"
    return (
        f"reminder to {reminder_to} at {when(promise.remind_at, '{time}')}"
        f" · due {due_both(case, promise.due_at)}"
        f" · if missed, at {when(promise.escalate_at, '{time}')} it escalates to"
        f" {chain_text(case, promise, repeat)}"
    )


def promise_confirmation(
    case: Case, promise: Promise, repeat: timedelta, advice: hygiene.Advice | None = None
) -> Message:
    line = plan_line(case, promise, repeat)
    text = f"Promise recorded on {case.ref}: “{safe(promise.description)}”. {line}"
    blocks: list[Block] = [
        section(f":handshake: Promise recorded on *{case.ref}*: “{safe(promise.description)}”"),
        context(line),
    ]
    if not promise.escalate_to:
        blocks.append(context("Set who hears about missed promises with " + USAGE["manager"] + "."))
    confirmation = message(text, blocks)
    if advice is None:
        return confirmation
    tight = safer_time_advice(case, promise, advice)
    return Message(text=clip(f"{text} {tight.text}", 3900), blocks=confirmation.blocks + tight.blocks)


def safer_time_advice(case: Case, promise: Promise, advice: hygiene.Advice) -> Message:
    """Why the promise looks tight and a safer time, with one click to take it. Never a refusal:
    the promise stands as made either way."""
    reasons = []
    if advice.crowded_by:
        times = ", ".join(when(t, "{time}") for t in advice.crowded_by[:5])
        reasons.append(
            f"{len(advice.crowded_by)} other promises of yours are due within half an hour of it ({times})"
        )
    if advice.usually_late is not None:
        kind = f"{advice.kind} promises" if advice.same_kind else "promises"
        reasons.append(
            f"your last {advice.samples} {kind} were kept a median {duration(advice.usually_late)} late"
        )
    why = " and ".join(reasons)
    safer = due_both(case, advice.suggested)
    text = f"This looks tight: {why}. Under-promise, over-deliver: a safer time is {safer}."
    blocks: list[Block] = [
        section(
            f":warning: *This looks tight:* {why}.\nUnder-promise, over-deliver: a safer time is {safer}."
        ),
        ActionsBlock(
            block_id=BlockId.ADVICE_ACTIONS.value,
            elements=[
                _button(
                    "Use the safer time",
                    ActionId.USE_SAFER_TIME,
                    Subject(case_id=case.id, promise_id=promise.id),
                    "primary",
                )
            ],
        ),
        context("Tell the customer the safer time; the promise keeps its time unless you switch."),
    ]
    return message(text, blocks)


def customer_zone_is(case: Case, now: datetime) -> Message:
    if not case.customer_tz:
        text = (
            f"{case.ref} has no customer time zone. Set one with {USAGE['tz']}: promises are then"
            " shown on both clocks, and `3pm customer time` is read on theirs."
        )
    else:
        local = now.astimezone(zone(case.customer_tz))
        text = (
            f"{case.ref}'s customer is on {case.customer_tz} (it is {local:%H:%M} there now)."
            " Promises show both clocks; say `3pm customer time` to give a time on theirs."
        )
    return message(text, [section(f":earth_africa: {text}")])


def safer_time_taken(case: Case, promise: Promise) -> Message:
    text = (
        f":shield: “{safe(promise.description)}” on {case.ref} is now due {due_both(case, promise.due_at)}."
    )
    return message(text, [section(text)])


def promise_note(case: Case, promise: Promise, repeat: timedelta) -> Message:
    line = plan_line(case, promise, repeat, owner_view=False)
    text = f"Promise by <@{promise.owner_id}>: “{safe(promise.description)}”. {line}"
    return message(text, [section(f":handshake: *Promise:* “{safe(promise.description)}”"), context(line)])


def _button(
    text: str,
    action: ActionId,
    subject: Subject,
    style: str | None = None,
    confirm: ConfirmObject | None = None,
) -> ButtonElement:
    return ButtonElement(
        text=text, action_id=action.value, value=subject.encode(), style=style, confirm=confirm
    )


def reminder(case: Case, promise: Promise) -> Message:
    """The owner's reminder, with what they can do about it. Once they did something,
    handlers/actions.py redraws it in place without the buttons."""
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
                _button("Done", ActionId.REMINDER_DONE, subject, "primary"),
                _button("Reschedule", ActionId.REMINDER_RESCHEDULE, subject),
                _button("Snooze 15 min", ActionId.REMINDER_SNOOZE, subject),
                _button(
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
    if now < promise.due_at:
        # The owner asked for help before the due time (Escalate now): nothing is missed yet.
        left = duration(promise.due_at - now)
        text = (
            f"Help asked: {case.ref} ({case.customer or 'customer'}): <@{promise.owner_id}> promised"
            f" “{promise.description}”, due {when(promise.due_at)}, in {left}, and asks for help."
        )
        headline = f":sos: *{case.ref}: <@{promise.owner_id}> asks for help* · {customer_of(case)}"
        status = f"Due {when(promise.due_at)} · *in {left}*"
    else:
        late = duration(now - promise.due_at)
        text = (
            f"Escalation: {case.ref} ({case.customer or 'customer'}): <@{promise.owner_id}> promised"
            f" “{promise.description}”, due {when(promise.due_at)}, not kept; {late} late."
        )
        headline = f":rotating_light: *{case.ref} missed a promise* · {customer_of(case)}"
        status = f"Due {when(promise.due_at)} · *{late} late*"
    level = f" · level {facts.level}: not acknowledged at the level before" if facts.level > 1 else ""
    blocks: list[Block] = [
        section(
            f"{headline}{level}\n<@{promise.owner_id}> promised: “{safe(promise.description)}”\n{status}"
        ),
        section(f"*Case:* {safe(clip(case.summary, 600))}"),
    ]
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
    subject = Subject(case_id=case.id, promise_id=promise.id)
    blocks.append(
        ActionsBlock(
            block_id=BlockId.ESCALATION_ACTIONS.value,
            elements=[
                _button("Acknowledge", ActionId.ESCALATION_ACKNOWLEDGE, subject, "primary"),
                _button("Take over", ActionId.ESCALATION_TAKE_OVER, subject),
                _button("Reassign", ActionId.ESCALATION_REASSIGN, subject),
                _button("Extend with reason", ActionId.ESCALATION_EXTEND, subject),
            ],
        )
    )
    blocks.append(context("Acknowledge stops the escalation and tells the owner you have it."))
    return message(safe(text), blocks)


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
        f" recurring within {max(days, 1)} day(s)"
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
        f" because you have no manager set. Set one with {USAGE['manager']}."
    )
    return message(text, [section(text)])


def case_note(case: Case, promise: Promise | None, payload: dict[str, Any]) -> Message:
    """Something someone did, said in the case thread: every choice is on the record."""
    by, event = f"<@{payload.get('by')}>", payload.get("event")
    what = f"“{safe(promise.description)}”" if promise is not None else "the promise"
    note = safe(clip(str(payload.get("note") or ""), 500))
    if event == "acknowledged":
        text = f":raising_hand: {by} acknowledged the missed promise {what} and is on it."
    elif event in ("rescheduled", "extended") and promise is not None:
        old = payload.get("old_due_at")
        was = f" from {when(datetime.fromisoformat(old))}" if old else ""
        if event == "rescheduled":
            text = (
                f":calendar: {by} rescheduled {what}{was} to {when(promise.due_at)};"
                f" the customer was told. Note: {note}"
            )
        else:
            text = f":calendar: {by} extended {what}{was} to {when(promise.due_at)}. Reason: {note}"
    elif event == "safer_time" and promise is not None:
        old = payload.get("old_due_at")
        was = f" (was {when(datetime.fromisoformat(old))})" if old else ""
        text = f":shield: {by} moved {what} to the safer time {due_both(case, promise.due_at)}{was}."
    elif event == "contact":
        via = f" by {payload.get('via')}" if payload.get("via") else ""
        said = safe(clip(str(payload.get("text") or ""), 2500))
        text = f":speech_balloon: Contact{via} logged by {by}: {said}"
    else:
        text = f"{by}: {event}"
    return message(text, [section(text)])


def person_note(case: Case, promise: Promise | None, payload: dict[str, Any]) -> Message:
    """The same, told to the owner by DM."""
    by, event = f"<@{payload.get('by')}>", payload.get("event")
    what = f"“{safe(promise.description)}”" if promise is not None else "your promise"
    if event == "acknowledged":
        text = f"{by} acknowledged your missed promise {what} on {case.ref} and is taking it from here."
    elif event == "extended" and promise is not None:
        note = safe(clip(str(payload.get("note") or ""), 500))
        text = f"{by} gave {what} on {case.ref} a new time: {when(promise.due_at)}. Reason: {note}"
    else:
        text = f"{by} did something on {case.ref}: {event}."
    return message(text, [section(text)])


def contact_line(contact: Contact) -> str:
    marks = ""
    if contact.deleted_at is not None:
        marks = " _(deleted in Slack; kept here)_"
    elif contact.edited_at is not None:
        marks = " _(edited)_"
    return f"• {when(contact.posted_at)} <@{contact.author_id}>: {safe(clip(contact.text, 280))}{marks}"


def promise_line(promise: Promise, now: datetime) -> str:
    if promise.state is PromiseState.RESCHEDULED:
        told = "the customer told" if promise.customer_told else "the customer not told"
        return (
            f"• :calendar: “{safe(promise.description)}” was due {when(promise.due_at)};"
            f" given a new time by <@{promise.rescheduled_by}> ({told})"
        )
    if promise.state is PromiseState.KEPT and promise.kept_at is not None:
        lateness = promise.kept_at - promise.due_at
        verdict = "on time" if lateness <= timedelta(0) else f"{duration(lateness)} late"
        return f"• :white_check_mark: “{safe(promise.description)}” kept {when(promise.kept_at)} ({verdict})"
    overdue = now > promise.due_at
    icon = ":red_circle:" if overdue else ":hourglass_flowing_sand:"
    status = f"*overdue by {duration(now - promise.due_at)}*" if overdue else f"due {when(promise.due_at)}"
    return f"• {icon} “{safe(promise.description)}” {status}"


def packed(header: str, lines: list[str]) -> list[SectionBlock]:
    """Lines in as few sections as fit Slack's 3000 characters each: nothing is cut off."""
    blocks: list[SectionBlock] = []
    current = header
    for line in lines:
        line = clip(line, SECTION_TEXT_LIMIT - 10)
        if len(current) + 1 + len(line) > SECTION_TEXT_LIMIT:
            blocks.append(section(current))
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        blocks.append(section(current))
    return blocks


def case_details(case: Case, now: datetime, page: int = 0) -> Message:
    """`/case show`: the case, a page of its contacts (the newest first page, with buttons to
    page back through the older ones), and every promise."""
    state = (
        "open"
        if case.state is CaseState.OPEN
        else f"closed {when(case.closed_at)}"
        if case.closed_at
        else "closed"
    )
    head = (
        f"*{case.ref}* · {customer_of(case)} · {state}\n{safe(case.summary)}\n"
        f"Owner <@{case.owner_id}> · opened {when(case.opened_at)}"
    )
    blocks: list[Block] = [section(head)]
    if case.close_note:
        blocks.append(context(f"Resolution: {safe(case.close_note)}"))
    blocks.append(DividerBlock())
    contacts = list(case.contacts)
    pages = max(1, -(-len(contacts) // MAX_CONTACTS_SHOWN))
    page = min(max(page, 0), pages - 1)
    if contacts:
        end = len(contacts) - page * MAX_CONTACTS_SHOWN
        start = max(0, end - MAX_CONTACTS_SHOWN)
        header = f"*Contacts ({len(contacts)})*"
        if pages > 1:
            header += f" · {start + 1}–{end}, oldest first (page {page + 1} of {pages}, newest is page 1)"
        blocks += packed(header, [contact_line(c) for c in contacts[start:end]])
        if pages > 1:
            buttons = []
            if page + 1 < pages:
                older = Subject(case_id=case.id, page=page + 1)
                buttons.append(_button("Older contacts", ActionId.CONTACTS_OLDER, older))
            if page > 0:
                newer = Subject(case_id=case.id, page=page - 1)
                buttons.append(_button("Newer contacts", ActionId.CONTACTS_NEWER, newer))
            blocks.append(ActionsBlock(block_id=BlockId.PAGE_ACTIONS.value, elements=buttons))
    else:
        blocks.append(section("*Contacts*\nNone logged yet: reply in the case thread to log one."))
    promises = list(case.promises)
    if promises:
        lines = [promise_line(p, now) for p in promises[-MAX_PROMISES_SHOWN:]]
        header = f"*Promises ({len(promises)})*"
        if len(promises) > MAX_PROMISES_SHOWN:
            header += f" · the latest {MAX_PROMISES_SHOWN}"
        blocks += packed(header, lines)
    else:
        blocks.append(section("*Promises*\nNone yet."))
    text = (
        f"{case.ref} ({case.customer or 'customer'}), {state}: {case.summary}."
        f" {len(contacts)} contact(s), {len(promises)} promise(s)."
    )
    return message(safe(text), blocks)


def case_list(cases: list[Case], now: datetime) -> Message:
    if not cases:
        text = "You have no open cases. Open one with " + USAGE["open"] + "."
        return message(text, [section(text)])
    lines = []
    for case in cases[:40]:
        open_promises = [p for p in case.promises if p.state is PromiseState.OPEN]
        next_due = f" · next promise {promise_line(open_promises[0], now)[2:]}" if open_promises else ""
        lines.append(f"• *{case.ref}* {customer_of(case)}: {safe(clip(case.summary, 120))}{next_due}")
    header = f"*Your open cases ({len(cases)})*"
    if len(cases) > 40:
        header += " · the oldest 40"
    text = f"You have {len(cases)} open case(s)."
    return message(text, [section(header + "\n" + "\n".join(lines))])


def help_message() -> Message:
    lines = [
        "*casekeeper* keeps the promises you make to customers.",
        f"• {USAGE['open']}: opens a case and posts its card here;"
        " reply in the card's thread to log contacts",
        f"• {USAGE['promise']}: I remind you before it is due and tell your manager if it is missed",
        "• In a case thread: `promise in 2 hours: email the refund receipt`",
        f"• {USAGE['done']}: the promise is kept",
        f"• {USAGE['show']} · {USAGE['list']} · {USAGE['close']}",
        f"• {USAGE['find']}: the workspace's cases by customer, account / order / tracking number"
        " or words of the summary",
        f"• {USAGE['reassign']}: hand the case and its promises to someone else",
        f"• {USAGE['manager']}: who hears about your missed promises",
        f"• {USAGE['hours']}: when escalations may reach you (`/case hours default` to undo)",
        f"• {USAGE['tz']}: the customer's time zone; promises then show both clocks",
        f"• {USAGE['report']}: how promises were kept, time to first contact, old cases, recurring"
        " problems (yours; a manager's team; an admin's whole workspace)",
        f"• {USAGE['digest']}: when your weekly team digest comes, if you manage anyone"
        " (`off`, `default`)",
        "Times are read in your Slack time zone: `in 30 minutes`, `tomorrow 3pm`, `friday 10:00`;"
        " `3pm customer time` on the customer's.",
    ]
    text = "\n".join(lines)
    return message(text, [section(text)])


def error_message(text: str) -> Message:
    return message(text, [section(f":warning: {text}")])


def case_opened(case: Case) -> Message:
    text = (
        f"{case.ref} is open and its card is in this channel. Reply in the card's thread to log each"
        " contact with the customer."
    )
    return message(text, [section(f":white_check_mark: {text}")])


def card_delayed(case: Case) -> Message:
    text = f"{case.ref} is saved. Slack didn't take its card yet; I'll keep trying and post it here."
    return message(text, [section(f":hourglass_flowing_sand: {text}")])


def card_refused(case: Case, error: str) -> Message:
    why = {
        "not_in_channel": "I'm not a member of this channel",
        "channel_not_found": "I can't see this channel",
    }.get(error, f"Slack said `{error}`")
    text = (
        f"{case.ref} is saved, but I couldn't post its card here ({why}). Invite me with"
        " `/invite @casekeeper` and open the case again there; `/case show "
        f"{case.ref}` shows it meanwhile."
    )
    return message(text, [section(f":warning: {text}")])


def promise_kept(case: Case, promise: Promise) -> Message:
    assert promise.kept_at is not None
    lateness = promise.kept_at - promise.due_at
    verdict = "on time" if lateness <= timedelta(0) else f"{duration(lateness)} late"
    text = (
        f"Kept: {case.ref} “{safe(promise.description)}” ({verdict})."
        " No more reminders or escalations for it."
    )
    return message(text, [section(f":white_check_mark: {text}")])


def case_closed(case: Case) -> Message:
    text = f"{case.ref} is closed." + (f" Note: {safe(case.close_note)}" if case.close_note else "")
    return message(text, [section(f":lock: {text}")])


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


def case_reassigned(case: Case, previous_owner: str, open_promises: int) -> Message:
    """The ephemeral confirmation to whoever reassigned it."""
    text = f"{case.ref} is now <@{case.owner_id}>'s (was <@{previous_owner}>'s)."
    if open_promises:
        text += (
            f" Its {open_promises} open promise(s) keep their times: reminders go to <@{case.owner_id}>,"
            " escalations to their manager."
        )
    return message(text, [section(f":white_check_mark: {text}")])


def manager_set(manager_id: str) -> Message:
    text = (
        f"Your missed promises now escalate to <@{manager_id}>. Promises already made keep the plan"
        " they were made with."
    )
    return message(text, [section(text)])


def manager_is(manager_id: str | None) -> Message:
    if manager_id is None:
        text = (
            "You have no manager set: missed promises escalate to the case channel."
            f" Set one with {USAGE['manager']}."
        )
    else:
        text = f"Your missed promises escalate to <@{manager_id}>. Change it with {USAGE['manager']}."
    return message(text, [section(text)])


def working_hours_are(hours: str, *, own: bool) -> Message:
    whose = "your own" if own else "the team's default"
    text = (
        f"Escalations reach you {hours} ({whose}, on your Slack time zone); outside them they wait"
        f" for your next working hour unless the case is urgent. Change it with {USAGE['hours']}."
    )
    return message(text, [section(text)])


def working_hours_set(hours: str, *, own: bool) -> Message:
    if own:
        text = f"Escalations now reach you {hours}, on your Slack time zone. Reminders are never held back."
    else:
        text = f"You're back on the team's working hours: {hours}."
    return message(text, [section(f":white_check_mark: {text}")])


def contact_logged(case: Case) -> Message:
    text = f"Contact logged on {case.ref}; it is in the case thread."
    return message(text, [section(f":white_check_mark: {text}")])


def escalated_now(case: Case, to: str) -> Message:
    text = f"{case.ref}: escalated to {to} now. Keep the customer posted meanwhile."
    return message(text, [section(f":rotating_light: {text}")])
