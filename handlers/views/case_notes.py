"""What someone did to a case, said by the bot from the outbox: the note in the case's thread
(kept, rescheduled, extended, cancelled, acknowledged, edited, reopened), the same told to the
owner by DM, and hand-overs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import Block

from bot.case_changes import FIELD_NAMES
from bot.notifications import NoteEvent
from handlers.views.blocks import (
    Message,
    context,
    customer_of,
    due_both,
    message,
    safe,
    section,
    when,
)
from storage.models import Case, Promise


def case_note(case: Case, promise: Promise | None, payload: dict[str, Any]) -> Message:
    """Something someone did, said in the case thread: every choice is on the record."""
    by, event = f"<@{payload.get('by')}>", NoteEvent(payload["event"])
    what = f"“{safe(promise.description)}”" if promise is not None else "the promise"
    note = safe(str(payload.get("note") or ""), 500)
    old = payload.get("old_due_at")
    if event is NoteEvent.ACKNOWLEDGED:
        # Seen, not taken: the owner stays the owner (Take over is what moves a case).
        text = (
            f":eyes: {by} acknowledged the missed promise {what}: they have seen it, and"
            f" <@{_of(promise).owner_id}> still owns it. The escalation goes no further."
        )
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
        via = f" by {safe(str(payload.get('via')))}" if payload.get("via") else ""
        said = safe(str(payload.get("text") or ""), 2500)
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
    shown = [safe(str(value), 200) if value else "_none_" for value in (before, after)]
    return f"{name} {shown[0]} → {shown[1]}"


def person_note(case: Case, promise: Promise | None, payload: dict[str, Any]) -> Message:
    """The same, told to the owner by DM: someone above them acknowledged their missed promise,
    gave it a new time, or called it off; or the case was taken from them. Nothing else is told
    this way (bot/escalation.py: tell; bot/handover.py)."""
    by, event = f"<@{payload.get('by')}>", NoteEvent(payload["event"])
    what = f"“{safe(promise.description)}”" if promise is not None else "your promise"
    if event is NoteEvent.ACKNOWLEDGED:
        text = (
            f"{by} has seen your missed promise {what} on {case.ref}; you still own it. They"
            " acknowledged the escalation, so it goes no further: keep the promise, or agree a new"
            " time with the customer and reschedule it."
        )
    elif event is NoteEvent.HANDED_OVER:
        text = _handed_away(case, by, payload)
    elif event is NoteEvent.EXTENDED:
        note = safe(str(payload.get("note") or ""), 500)
        text = f"{by} gave {what} on {case.ref} a new time: {when(_of(promise).due_at)}. Reason: {note}"
    elif event is NoteEvent.CANCELLED:
        note = safe(str(payload.get("note") or ""), 500)
        text = f"{by} cancelled {what} on {case.ref}; no reminder or escalation will follow. Why: {note}"
    else:
        raise ValueError(f"a {event.value} note is never sent to the owner")
    return message(text, [section(text)])


def _handed_away(case: Case, by: str, payload: dict[str, Any]) -> str:
    """To the owner a case was taken from: it is not theirs any more."""
    new_owner = f"<@{payload.get('new_owner')}>"
    if by == new_owner:
        moved = f"{by} took {case.ref} over from you"
    else:
        moved = f"{by} handed {case.ref} from you to {new_owner}"
    return f"{moved}: it is {new_owner}'s now, with its open promises, and their reminders go to them."


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
        f"{case.ref} ({safe(case.customer or 'customer')}) is yours now: <@{by}> {given}."
        " Its promises' reminders come to you from now on."
    )
    blocks: list[Block] = [
        section(
            f":inbox_tray: *{case.ref} is yours now* · {customer_of(case)}\n"
            f"{safe(case.summary, 300)}\n<@{by}> {given}."
        ),
        context(
            f"Its contacts and promises: `/case show {case.ref}`. Reminders for its promises come to you."
        ),
    ]
    return message(text, blocks)


def handover_note(case: Case, by: str, previous_owner: str) -> Message:
    """In the case thread, for everyone following the case."""
    if by == case.owner_id:
        text = (
            f":arrows_counterclockwise: <@{by}> took {case.ref} over from <@{previous_owner}>:"
            " it is theirs now."
        )
    else:
        text = (
            f":arrows_counterclockwise: <@{by}> handed {case.ref} from <@{previous_owner}> to"
            f" <@{case.owner_id}>."
        )
    return message(text, [section(text)])
