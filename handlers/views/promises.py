"""What people see about a promise: the confirmation with its plan (when the reminder goes, when
and to whom it escalates), the advice when it looks tight, the note in the case thread."""

from __future__ import annotations

from datetime import datetime, timedelta

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
)

from bot import hygiene
from bot.clock import zone
from bot.forecast import Forecast, Step
from handlers.ids import ActionId, BlockId, Subject
from handlers.usage import USAGE
from handlers.views.blocks import (
    Message,
    button,
    clip,
    context,
    due_both,
    duration,
    message,
    recipient,
    safe,
    section,
    when,
)
from storage.models import Case, Promise, PromiseState


def chain_text(case: Case, promise: Promise, repeat: timedelta, forecast: Forecast) -> str:
    """Who hears of a miss, in order, and when: "<@maria>, then <@boss> after 30m unacknowledged,
    then this channel after 30m unacknowledged"; a level that waits for its recipient's working
    hours says when it really goes."""
    steps = list(forecast.steps) or [Step(level=1, to=case.channel_id, at=promise.escalate_at, waits=False)]
    texts = [
        recipient(steps[0].to, case)
        + (f" at {when(steps[0].at)}, {_next_hour(steps[0], case)}" if steps[0].waits else "")
    ]
    for step in steps[1:]:
        who = recipient(step.to, case)
        if step.waits:
            texts.append(f"then {who} at {when(step.at)} if still unacknowledged, {_next_hour(step, case)}")
        else:
            texts.append(f"then {who} after {duration(repeat)} unacknowledged")
    return ", ".join(texts)


def _next_hour(step: Step, case: Case) -> str:
    """ "<@maria>'s next working hour (Mon 09:00 Europe/Berlin)": their own clock, beside the
    reader's."""
    if step.tz is None:
        return f"{recipient(step.to, case)}'s next working hour"
    local = step.at.astimezone(zone(step.tz))
    return f"{recipient(step.to, case)}'s next working hour ({local:%a %H:%M} {step.tz})"


def plan_line(
    case: Case, promise: Promise, repeat: timedelta, forecast: Forecast, owner_view: bool = True
) -> str:
    reminder_to = "you" if owner_view else f"<@{promise.owner_id}>"
    first_waits = bool(forecast.steps) and forecast.steps[0].waits
    missed = (
        f"if missed at {when(promise.escalate_at, '{time}')}, it escalates to"
        if first_waits
        else f"if missed, at {when(promise.escalate_at, '{time}')} it escalates to"
    )
    return (
        f"reminder to {reminder_to} at {when(promise.remind_at, '{time}')}"
        f" · due {due_both(case, promise.due_at)}"
        f" · {missed} {chain_text(case, promise, repeat, forecast)}"
    )


def unaccepted_note(promise: Promise, forecast: Forecast) -> str | None:
    """The manager the owner named who hasn't accepted: not in this plan."""
    if forecast.unaccepted_manager is None:
        return None
    named, owner = forecast.unaccepted_manager, promise.owner_id
    instead = (
        "it escalates as if no manager were set"
        if not promise.escalate_to
        else f"it escalates to <@{promise.escalate_to}> as planned"
    )
    return (
        f"<@{named}> hasn't accepted being <@{owner}>'s manager yet, so they aren't in this plan:"
        f" {instead}. Promises made once they accept escalate to them."
    )


def promise_confirmation(
    case: Case,
    promise: Promise,
    repeat: timedelta,
    forecast: Forecast,
    advice: hygiene.Advice | None = None,
) -> Message:
    line = plan_line(case, promise, repeat, forecast)
    text = f"Promise recorded on {case.ref}: “{safe(promise.description)}”. {line}"
    blocks: list[Block] = [
        section(f":handshake: Promise recorded on *{case.ref}*: “{safe(promise.description)}”"),
        context(line),
    ]
    unaccepted = unaccepted_note(promise, forecast)
    if unaccepted is not None:
        text += f" {unaccepted}"
        blocks.append(context(f":hourglass_flowing_sand: {unaccepted}"))
    elif not promise.escalate_to:
        blocks.append(context("Set who hears about missed promises with " + USAGE["manager"] + "."))
    if forecast.waits:
        blocks.append(
            context(
                "Quiet hours: nobody hears of a miss before the time shown, so keep the customer"
                " posted; I'll tell you if an escalation waits."
            )
        )
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
                button(
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


def safer_time_taken(case: Case, promise: Promise) -> Message:
    text = (
        f":shield: “{safe(promise.description)}” on {case.ref} is now due {due_both(case, promise.due_at)}."
    )
    return message(text, [section(text)])


def promise_note(case: Case, promise: Promise, repeat: timedelta, forecast: Forecast) -> Message:
    line = plan_line(case, promise, repeat, forecast, owner_view=False)
    text = f"Promise by <@{promise.owner_id}>: “{safe(promise.description)}”. {line}"
    return message(text, [section(f":handshake: *Promise:* “{safe(promise.description)}”"), context(line)])


def promise_line(promise: Promise, now: datetime) -> str:
    if promise.state is PromiseState.CANCELLED:
        told = "the customer told" if promise.customer_told else "the customer not told"
        at = f" {when(promise.cancelled_at)}" if promise.cancelled_at else ""
        why = safe(promise.cancel_reason or "", 300)
        return (
            f"• :no_entry_sign: “{safe(promise.description)}” was due {when(promise.due_at)};"
            f" cancelled by <@{promise.cancelled_by}>{at} ({told}): {why}"
        )
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


def promise_cancelled(case: Case, promise: Promise) -> Message:
    text = (
        f"Cancelled: {case.ref} “{safe(promise.description)}”. No more reminders or escalations for it;"
        " the case thread says why."
    )
    return message(text, [section(f":no_entry_sign: {text}")])


def promise_rescheduled(case: Case, promise: Promise, repeat: timedelta, forecast: Forecast) -> Message:
    """The reschedule done: the new time, and the plan that now goes with it."""
    due = due_both(case, promise.due_at)
    text = f"Rescheduled: {case.ref} “{safe(promise.description)}” is now due {due}."
    line = plan_line(case, promise, repeat, forecast)
    return message(f"{text} {line}", [section(f":calendar: {text}"), context(line)])


def promise_kept(case: Case, promise: Promise) -> Message:
    assert promise.kept_at is not None
    lateness = promise.kept_at - promise.due_at
    verdict = "on time" if lateness <= timedelta(0) else f"{duration(lateness)} late"
    text = (
        f"Kept: {case.ref} “{safe(promise.description)}” ({verdict})."
        " No more reminders or escalations for it."
    )
    return message(text, [section(f":white_check_mark: {text}")])


# ---- a thread reply about a promise --------------------------------------------------------


def promise_not_recorded(problem: str) -> Message:
    """A reply that asked for a promise which could not be made: one answer that says both what
    was kept and what was not (the reply carries a ⚠️, not a ✅)."""
    text = f"Logged as a contact, but no promise recorded: {problem}"
    return message(text, [section(f":warning: {text}")])


def _typed(what: str, said_when: str) -> str:
    """The reply that records the same promise."""
    return f"`promise {safe(said_when)}: {safe(what[:1].lower() + what[1:])}`"


def promise_offered(case: Case, what: str, said_when: str) -> Message:
    """A reply that reads like a promise ("I'll call you back by 3pm"): logged as a contact, and
    its author alone is offered to record it. Nothing is recorded unasked."""
    shown = f"“{safe(what)}”, {safe(said_when)}"
    text = (
        f"Logged as a contact. It reads like a promise on {case.ref}: {shown}. Record it as a"
        " promise, so it is reminded before it is due and escalated if missed?"
    )
    subject = Subject(case_id=case.id, note=what, said_when=said_when)
    blocks: list[Block] = [
        section(f":handshake: {text}"),
        ActionsBlock(
            block_id=BlockId.PROMISE_OFFER_ACTIONS.value,
            elements=[button("Record as a promise", ActionId.RECORD_OFFERED_PROMISE, subject, "primary")],
        ),
        context(f"Nothing is recorded unless you say so. Typing it works too: {_typed(what, said_when)}."),
    ]
    return message(text, blocks)


def promise_form_opened(what: str, said_when: str) -> Message:
    """In place of the offer, once its button opened the form (so it can't be pressed twice)."""
    text = (
        f"The promise form is open with “{safe(what)}”, {safe(said_when)}, as I read them: check them"
        f" and press Record. Closed it? Reply {_typed(what, said_when)} in the thread."
    )
    return message(text, [section(f":handshake: {text}")])
