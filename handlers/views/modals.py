"""The modals: open a case, record a promise, close, reschedule or extend, reassign, log a contact.

Each is opened with the trigger_id of a button or of `/case open` with no text, and carries its
Subject in private_metadata (handlers/ids.py). Reading what was submitted is
handlers/listeners/submissions.py."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    TimePickerElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.contacts import CONTACT_MEDIA
from bot.validation import LIMITS
from handlers.ids import ActionId, BlockId, CallbackId, Subject
from handlers.views.blocks import clip, context, customer_of, safe, section, when
from storage.models import Case, CasePriority, Promise, Recurrence

TITLE_LIMIT = 24


def text_input(
    block: BlockId,
    action: ActionId,
    label: str,
    *,
    optional: bool = False,
    multiline: bool = False,
    max_length: int | None = None,
    placeholder: str | None = None,
    initial: str | None = None,
    hint: str | None = None,
) -> InputBlock:
    return InputBlock(
        block_id=block.value,
        label=PlainTextObject(text=label),
        optional=optional,
        hint=PlainTextObject(text=hint) if hint else None,
        element=PlainTextInputElement(
            action_id=action.value,
            multiline=multiline,
            max_length=max_length,
            placeholder=PlainTextObject(text=placeholder) if placeholder else None,
            initial_value=initial,
        ),
    )


def _options(pairs: list[tuple[str, str]]) -> list[Option]:
    return [Option(value=value, text=PlainTextObject(text=label)) for value, label in pairs]


PRIORITIES = [
    (CasePriority.LOW.value, "Low"),
    (CasePriority.NORMAL.value, "Normal"),
    (CasePriority.HIGH.value, "High"),
    (CasePriority.URGENT.value, "Urgent: escalate at any hour"),
]


MEDIA = [(medium, medium.capitalize()) for medium in CONTACT_MEDIA]


def _when_blocks(label: str, said: str | None = None) -> list[Block]:
    return [
        InputBlock(
            block_id=BlockId.WHEN_DATE.value,
            label=PlainTextObject(text=f"{label}: day"),
            optional=True,
            element=DatePickerElement(action_id=ActionId.WHEN_DATE.value),
        ),
        InputBlock(
            block_id=BlockId.WHEN_TIME.value,
            label=PlainTextObject(text=f"{label}: time"),
            optional=True,
            element=TimePickerElement(action_id=ActionId.WHEN_TIME.value),
        ),
        text_input(
            BlockId.WHEN_TEXT,
            ActionId.WHEN_TEXT,
            "…or say when",
            optional=True,
            max_length=100,
            placeholder="in 2 hours, tomorrow 3pm, friday 10:00",
            hint="Times are read in the case owner's Slack time zone.",
            initial=said,
        ),
    ]


def _view(callback: CallbackId, title: str, submit: str, subject: str, blocks: list[Block]) -> View:
    return View(
        type="modal",
        callback_id=callback.value,
        title=PlainTextObject(text=clip(title, TITLE_LIMIT)),
        submit=PlainTextObject(text=submit),
        close=PlainTextObject(text="Cancel"),
        private_metadata=subject,
        blocks=blocks,
    )


def _about(case: Case) -> SectionBlock:
    return section(f"*{case.ref}* · {customer_of(case)}\n{safe(case.summary)}")


def open_case_view(channel_id: str, *, private: bool = False) -> View:
    """`private`: the command that opened it came from a private channel (the form's submission
    no longer says where it came from)."""
    return View(
        type="modal",
        callback_id=CallbackId.OPEN_CASE.value,
        title=PlainTextObject(text="Open a case"),
        submit=PlainTextObject(text="Open"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=json.dumps({"channel_id": channel_id, "private": private}),
        blocks=[
            text_input(
                BlockId.CUSTOMER,
                ActionId.CUSTOMER,
                "Customer",
                max_length=LIMITS["customer"],
                placeholder="Acme Corp",
            ),
            text_input(
                BlockId.SUMMARY,
                ActionId.SUMMARY,
                "What is it about?",
                multiline=True,
                max_length=LIMITS["summary"],
                placeholder="Refund not received",
            ),
            text_input(BlockId.ACCOUNT, ActionId.ACCOUNT, "Account number", optional=True, max_length=100),
            text_input(BlockId.ORDER, ActionId.ORDER, "Order number", optional=True, max_length=100),
            text_input(BlockId.TRACKING, ActionId.TRACKING, "Tracking number", optional=True, max_length=100),
            text_input(
                BlockId.CUSTOMER_TZ,
                ActionId.CUSTOMER_TZ,
                "Customer's time zone",
                optional=True,
                max_length=60,
                placeholder="Europe/Berlin, or a city like Chicago",
            ),
            InputBlock(
                block_id=BlockId.PRIORITY.value,
                label=PlainTextObject(text="Priority"),
                element=StaticSelectElement(
                    action_id=ActionId.PRIORITY.value,
                    options=_options(PRIORITIES),
                    initial_option=_options(PRIORITIES)[1],
                ),
            ),
            InputBlock(
                block_id=BlockId.VIA.value,
                label=PlainTextObject(text="How did they get in touch?"),
                optional=True,
                element=StaticSelectElement(action_id=ActionId.VIA.value, options=_options(MEDIA)),
            ),
        ],
    )


def promise_view(
    case: Case, subject: Subject, *, what: str | None = None, said_when: str | None = None
) -> View:
    """The promise form; `what` and `said_when` fill it in with a promise read from a reply."""
    blocks: list[Block] = [
        _about(case),
        text_input(
            BlockId.WHAT,
            ActionId.WHAT,
            "What did you promise?",
            multiline=True,
            max_length=LIMITS["promise"],
            placeholder="Call back with the tracking number",
            initial=what,
        ),
        *_when_blocks("By when", said_when),
        context(
            "Under-promise, over-deliver: pick a time you can beat. The owner is reminded"
            " before it is due; a miss goes to their manager."
        ),
    ]
    return _view(CallbackId.MAKE_PROMISE, f"Promise on {case.ref}", "Record", subject.encode(), blocks)


def close_view(
    case: Case, subject: Subject, fates: list[Block] | None = None, note: str | None = None
) -> View:
    """The resolution, one-off or recurring, and (`fates`, from handlers/views/case_forms.py)
    what became of each promise still open. `note`: the resolution typed in the command."""
    kinds = [(Recurrence.SINGLE.value, "A single event"), (Recurrence.RECURRING.value, "A recurring problem")]
    blocks: list[Block] = [
        _about(case),
        text_input(
            BlockId.RESOLUTION,
            ActionId.RESOLUTION,
            "Resolution",
            multiline=True,
            max_length=LIMITS["note"],
            placeholder="Refund issued and confirmed with the customer",
            initial=note or None,
        ),
        *(fates or []),
        InputBlock(
            block_id=BlockId.RECURRENCE.value,
            label=PlainTextObject(text="Single event or recurring problem?"),
            element=RadioButtonsElement(action_id=ActionId.RECURRENCE.value, options=_options(kinds)),
        ),
        text_input(
            BlockId.CATEGORY,
            ActionId.CATEGORY,
            "Category",
            optional=True,
            max_length=LIMITS["category"],
            placeholder="late deliveries",
            hint="Needed for a recurring problem: its cases are counted together so the cause gets fixed.",
        ),
    ]
    return _view(CallbackId.CLOSE_CASE, f"Close {case.ref}", "Close case", subject.encode(), blocks)


def reschedule_view(case: Case, promise: Promise, subject: Subject, *, extension: bool) -> View:
    intro = section(f"*{case.ref}* · “{safe(promise.description)}”\nnow due {when(promise.due_at)}")
    if extension:
        blocks: list[Block] = [
            intro,
            *_when_blocks("New time"),
            text_input(BlockId.NOTE, ActionId.NOTE, "Reason", multiline=True, max_length=LIMITS["note"]),
            InputBlock(
                block_id=BlockId.TOLD.value,
                label=PlainTextObject(text="The customer"),
                optional=True,
                element=CheckboxesElement(
                    action_id=ActionId.TOLD.value, options=_options([("told", "knows the new time")])
                ),
            ),
        ]
        return _view(CallbackId.EXTEND, "Extend the promise", "Extend", subject.encode(), blocks)
    blocks = [
        intro,
        *_when_blocks("New time"),
        text_input(
            BlockId.NOTE,
            ActionId.NOTE,
            "What did you tell the customer?",
            multiline=True,
            max_length=LIMITS["note"],
            placeholder="Called: the courier needs one more day; they're fine with Friday",
        ),
        InputBlock(
            block_id=BlockId.TOLD.value,
            label=PlainTextObject(text="The customer"),
            element=CheckboxesElement(
                action_id=ActionId.TOLD.value, options=_options([("told", "knows the new time")])
            ),
            hint=PlainTextObject(text="A new time the customer knows about is a reschedule, not a miss."),
        ),
    ]
    return _view(CallbackId.RESCHEDULE, "Reschedule", "Reschedule", subject.encode(), blocks)


def reassign_view(case: Case, subject: Subject) -> View:
    blocks: list[Block] = [
        _about(case),
        InputBlock(
            block_id=BlockId.NEW_OWNER.value,
            label=PlainTextObject(text="Hand it to"),
            element=UserSelectElement(action_id=ActionId.NEW_OWNER.value),
            hint=PlainTextObject(
                text="Their reminders and their manager's escalations take over at the same times."
            ),
        ),
    ]
    return _view(CallbackId.REASSIGN, f"Reassign {case.ref}", "Reassign", subject.encode(), blocks)


def log_contact_view(case: Case, subject: Subject) -> View:
    blocks: list[Block] = [
        _about(case),
        text_input(
            BlockId.CONTACT,
            ActionId.CONTACT,
            "What happened?",
            multiline=True,
            max_length=2900,
            placeholder="Customer called: still no refund; promised a call back by 3pm",
        ),
        InputBlock(
            block_id=BlockId.VIA.value,
            label=PlainTextObject(text="How"),
            element=StaticSelectElement(
                action_id=ActionId.VIA.value, options=_options(MEDIA), initial_option=_options(MEDIA)[0]
            ),
        ),
    ]
    return _view(CallbackId.LOG_CONTACT, f"Contact on {case.ref}", "Log it", subject.encode(), blocks)
