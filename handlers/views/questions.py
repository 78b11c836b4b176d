"""Questions the bot asks before it changes a promise: which one (several are open and the
request didn't say), and does the customer know (a new time, or calling it off, goes ahead only
once they do). Each answer is a button that carries the whole request (handlers/ids.py Subject),
so nothing waits on the bot's side for the answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import ActionsBlock, Block, SectionBlock
from slack_sdk.models.blocks import MarkdownTextObject as Markdown

from bot.promises import Intent, PromiseChoice
from handlers.ids import CHOICE_PREFIX, ActionId, BlockId, Subject
from handlers.views.blocks import Message, button, context, message, safe, section, when

# A message holds at most 50 blocks: promises beyond these are counted, not offered.
MAX_CHOICES = 40
# Slack's limit on a button's value.
VALUE_LIMIT = 2000

_ASK = {
    Intent.KEEP: ("Which promise was kept?", "Kept", ActionId.PICK_TO_KEEP),
    Intent.CANCEL: ("Which promise is called off?", "Call this off", ActionId.PICK_TO_CANCEL),
    Intent.RESCHEDULE: ("Which promise gets the new time?", "New time for this", ActionId.PICK_TO_RESCHEDULE),
}


def which_promise(
    choices: Sequence[PromiseChoice],
    intent: Intent,
    *,
    case_id: int | None = None,
    case_ref: str | None = None,
    due: datetime | None = None,
    note: str | None = None,
) -> Message:
    """One row per open promise, each with the button that does `intent` to it. `case_id`: all
    on one case (else each choice names its own); `due` and `note` travel with the answer."""
    question, label, action = _ASK[intent]
    where = f" on *{case_ref}*" if case_ref else ""
    blocks: list[Block] = [section(f":question: {len(choices)} promises are open{where}. {question}")]
    for choice in list(choices)[:MAX_CHOICES]:
        subject = Subject(
            case_id=case_id if case_id is not None else choice.case_id,
            promise_id=choice.promise_id,
            due=int(due.timestamp()) if due is not None else None,
            note=note,
        )
        ref = "" if case_ref else f"*{choice.case_ref}* · "
        blocks.append(
            SectionBlock(
                block_id=f"{CHOICE_PREFIX}{choice.promise_id}",
                text=Markdown(
                    text=f"{ref}“{safe(choice.description, 300)}” · due {when(choice.due_at)}"
                ),
                accessory=button(label, action, _fitted(subject)),
            )
        )
    if len(choices) > MAX_CHOICES:
        blocks.append(context(f"and {len(choices) - MAX_CHOICES} more: name the case to narrow it down."))
    text = f"{len(choices)} promises are open{where.replace('*', '')}. {question}"
    return message(text, blocks)


def new_time_question(
    case_id: int,
    case_ref: str,
    promise_id: int,
    description: str,
    old_due: datetime,
    new_due: datetime,
    note: str,
) -> Message:
    subject = _fitted(
        Subject(case_id=case_id, promise_id=promise_id, due=int(new_due.timestamp()), note=note)
    )
    what = f"“{safe(description, 300)}” on *{case_ref}*"
    text = (
        f"New time for {what}: {when(new_due)} (now {when(old_due)}). Does the customer know the new time?"
        " A reschedule the customer doesn't know of is a missed promise."
    )
    return _question(
        text,
        f"Note: {safe(note, 500)}",
        [
            button("The customer knows the new time", ActionId.RESCHEDULE_TOLD, subject, "primary"),
            button("Not yet", ActionId.RESCHEDULE_NOT_YET, subject),
        ],
    )


def cancel_question(
    case_id: int, case_ref: str, promise_id: int, description: str, due: datetime, reason: str
) -> Message:
    subject = _fitted(Subject(case_id=case_id, promise_id=promise_id, note=reason))
    text = (
        f"Call off “{safe(description, 300)}” on *{case_ref}* (due {when(due)})? Does the"
        " customer know it's off? A promise dropped without telling them is a promise broken."
    )
    return _question(
        text,
        f"Why: {safe(reason, 500)}",
        [
            button("The customer knows", ActionId.CANCEL_TOLD, subject, "primary"),
            button("Not yet", ActionId.CANCEL_NOT_YET, subject),
        ],
    )


def not_yet(subject: Subject, *, cancelling: bool) -> Message:
    """Nothing changed; the answer stays one click away once the customer has heard."""
    if cancelling:
        text = (
            "Nothing changed: the promise stands, with its reminder and escalation. Tell the customer"
            " it's off, then press the button."
        )
        knows = button("The customer knows", ActionId.CANCEL_TOLD, subject, "primary")
    else:
        text = (
            "Nothing changed: the promise keeps its time, with its reminder and escalation. Tell the"
            " customer the new time, then press the button."
        )
        knows = button("The customer knows the new time", ActionId.RESCHEDULE_TOLD, subject, "primary")
    return _question(f":hourglass_flowing_sand: {text}", None, [knows])


def _question(text: str, detail: str | None, buttons: list) -> Message:
    blocks: list[Block] = [section(text)]
    if detail:
        blocks.append(context(detail))
    blocks.append(ActionsBlock(block_id=BlockId.QUESTION_ACTIONS.value, elements=buttons))
    return message(text.replace("*", ""), blocks)


def _fitted(subject: Subject) -> Subject:
    """The subject, its note shortened if need be to fit a button's value (the note was checked
    against handlers/parse.MAX_CARRIED_NOTE; only escapes could still push it over)."""
    while subject.note and len(subject.encode()) > VALUE_LIMIT:
        subject = Subject(**{**subject.__dict__, "note": subject.note[: len(subject.note) * 3 // 4]})
    return subject
