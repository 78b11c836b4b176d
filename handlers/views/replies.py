"""Short answers to what someone asked for: help, a refusal, "CASE-7 is open", "kept", their
manager, their working hours. Each is ephemeral, for the person who asked."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import ActionsBlock

from bot.case_changes import Change
from bot.clock import zone
from bot.plurals import counted
from handlers.ids import ActionId, BlockId, Subject
from handlers.usage import USAGE
from handlers.views.blocks import (
    Message,
    button,
    context,
    message,
    safe,
    section,
)
from storage.models import Case


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


def help_message() -> Message:
    lines = [
        "*casekeeper* keeps the promises you make to customers.",
        f"• {USAGE['open']}: opens a case and posts its card here;"
        " reply in the card's thread to log contacts",
        f"• {USAGE['promise']}: I remind you before it is due and tell your manager if it is missed",
        "• In a case thread: `promise in 2 hours: email the refund receipt`",
        f"• {USAGE['done']}: the promise is kept (several open: I ask which)",
        f"• {USAGE['reschedule']}: a new time, once the customer knows it;"
        " in a case thread: `reschedule friday 10am: courier delayed`",
        f"• {USAGE['cancel']}: call a promise off, the customer told;"
        " in a case thread: `cancel: &lt;why&gt;`",
        f"• {USAGE['show']} · {USAGE['list']} · {USAGE['close']} (open promises: I ask what became of each)",
        f"• {USAGE['edit']}: customer, numbers, priority, customer's time zone · {USAGE['reopen']}",
        "• In a case thread, `note: …` is an internal note: kept on the case, not counted as a contact",
        f"• {USAGE['find']}: the workspace's cases by customer, account / order / tracking number"
        " or words of the summary",
        f"• {USAGE['reassign']}: hand the case and its promises to someone else",
        f"• {USAGE['manager']}: who hears about your missed promises (they accept first)",
        f"• {USAGE['team']}: for admins and team leads, someone else's manager (`manager none` removes it)",
        f"• {USAGE['hours']}: when escalations may reach you (`/case hours default` to undo)",
        f"• {USAGE['tz']}: the customer's time zone; promises then show both clocks",
        f"• {USAGE['report']}: how promises were kept, time to first contact, old cases, recurring"
        " problems (yours; a manager's team; an admin's whole workspace)",
        f"• {USAGE['digest']}: when your weekly team digest comes, if you manage anyone (`off`, `default`)",
        f"• {USAGE['dashboard']}: a private link to the web dashboard (charts, CSV, each case's whole story)",
        "Times are read in your Slack time zone: `in 30 minutes`, `tomorrow 3pm`, `friday 10:00`,"
        " `eod`, `in 2 business days` (on your working hours); `3pm customer time` on the customer's.",
        "In my DM, answer a reminder with `done` (or `done CASE-7`).",
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
    blocks = [section(f":white_check_mark: {text}")]
    if case.customer is None:
        # Read as all summary: say so, so a customer's name is not silently lost in it.
        how = (
            "Customer: not given. I read it all as the summary; to name the customer, write it before"
            " a colon, like `/case open Acme Corp: refund not received`."
        )
        text = f"{text} {how}"
        blocks.append(context(how))
    return message(text, blocks)


def card_delayed(case: Case) -> Message:
    text = f"{case.ref} is saved. Slack didn't take its card yet; I'll keep trying and post it here."
    return message(text, [section(f":hourglass_flowing_sand: {text}")])


def card_refused(case: Case, error: str) -> Message:
    why = {
        "not_in_channel": "I'm not a member of this channel",
        "channel_not_found": "I can't see this channel",
    }.get(error, f"Slack said `{error}`")
    if error in ("not_in_channel", "channel_not_found"):
        # Opening it again would make a second case: the card follows the bot in instead.
        text = (
            f"{case.ref} is saved, but {why}, so its card isn't posted yet. Invite me with"
            f" `/invite @casekeeper` and I'll post the card here as soon as I'm in."
            f" `/case show {case.ref}` shows the case meanwhile."
        )
    else:
        text = (
            f"{case.ref} is saved, but I couldn't post its card here ({why})."
            f" `/case show {case.ref}` shows the case meanwhile."
        )
    return message(text, [section(f":warning: {text}")])


def case_closed(case: Case) -> Message:
    text = f"{case.ref} is closed." + (f" Note: {safe(case.close_note)}" if case.close_note else "")
    return message(text, [section(f":lock: {text}")])


def case_reassigned(case: Case, previous_owner: str, open_promises: int) -> Message:
    """The ephemeral confirmation to whoever reassigned it."""
    text = f"{case.ref} is now <@{case.owner_id}>'s (was <@{previous_owner}>'s)."
    if open_promises:
        text += (
            " Its open promise keeps its time"
            if open_promises == 1
            else f" Its {open_promises} open promises keep their times"
        ) + f": reminders go to <@{case.owner_id}>, escalations to their manager."
    return message(text, [section(f":white_check_mark: {text}")])


def working_hours_are(hours: str | None, *, own: bool) -> Message:
    if hours is None:
        text = (
            "Escalations reach you whenever they are due: the team has no quiet hours and you"
            f" haven't set your own. To have them wait for your working hours, {USAGE['hours']}."
        )
        return message(text, [section(text)])
    whose = "your own" if own else "the team's default"
    text = (
        f"Escalations reach you {hours} ({whose}, on your Slack time zone); outside them they wait"
        f" for your next working hour unless the case is urgent. Change it with {USAGE['hours']}"
        " (`/case hours default` goes back to the team's)."
    )
    return message(text, [section(text)])


def working_hours_set(hours: str | None, *, own: bool) -> Message:
    if own:
        text = (
            f"Escalations now reach you {hours}, on your Slack time zone; outside them they wait for"
            " your next working hour, unless the case is urgent. Reminders are never held back."
        )
    elif hours is None:
        text = (
            "You're back on the team's default: no quiet hours, escalations reach you whenever they are due."
        )
    else:
        text = f"You're back on the team's working hours: {hours}."
    return message(text, [section(f":white_check_mark: {text}")])


def case_reopened(case: Case) -> Message:
    text = f"{case.ref} is open again; its thread and card say so."
    return message(text, [section(f":unlock: {text}")])


def case_edited(case: Case, changes: list[Change]) -> Message:
    if not changes:
        text = f"Nothing changed on {case.ref}."
        return message(text, [section(text)])
    said = "; ".join(f"{c.name}: {safe(c.after or 'none', 200)}" for c in changes)
    text = f"{case.ref} updated ({said}). The case thread says what changed."
    return message(text, [section(f":pencil2: {text}")])


def close_asks(case_ref: str, case_id: int, open_count: int) -> Message:
    """When the close form couldn't open straight from the command: a button opens it."""
    text = (
        f"{case_ref} still has {counted(open_count, 'open promise')}: say what became of each (kept, or"
        " cancelled with the customer told) and it closes."
    )
    return message(
        text,
        [
            section(f":lock: {text}"),
            ActionsBlock(
                block_id=BlockId.QUESTION_ACTIONS.value,
                elements=[button("Answer and close", ActionId.CLOSE_WITH_PROMISES, Subject(case_id=case_id))],
            ),
        ],
    )


def dm_help(said: str) -> Message:
    """What the bot's DM understands, for anything it didn't."""
    heard = f"I didn't understand “{safe(said, 100)}”. " if said else ""
    text = (
        f"{heard}Here I understand `done` (a reminder's promise is kept; several waiting: I ask which)"
        " and `done CASE-7`. Everything else is a `/case` command in any channel: `/case help` lists them."
    )
    return message(text, [section(f":wave: {text}")])


def dm_nothing_waiting() -> Message:
    text = (
        "No reminder of yours is waiting for an answer. To mark a promise kept, say `done CASE-7`"
        " here or use `/case done CASE-7`."
    )
    return message(text, [section(text)])


def contact_logged(case: Case) -> Message:
    text = f"Contact logged on {case.ref}; it is in the case thread."
    return message(text, [section(f":white_check_mark: {text}")])


def escalated_now(case: Case, to: str) -> Message:
    text = f"{case.ref}: escalated to {to} now. Keep the customer posted meanwhile."
    return message(text, [section(f":rotating_light: {text}")])


def busy() -> Message:
    text = "I have too much on right now to take that. Nothing was done: please try again in a minute."
    return message(text, [section(f":hourglass_flowing_sand: {text}")])
