"""The forms about a case as a whole, besides opening it: editing what it says, and the close
form's question about each promise still open (handlers/views/modals.py has the close form)."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    Option,
    PlainTextObject,
    RadioButtonsElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.closing import Fate
from bot.plurals import counted
from bot.validation import LIMITS
from handlers.ids import FATE_PREFIX, ActionId, BlockId, CallbackId, Subject
from handlers.views.blocks import clip, context, section, when
from handlers.views.modals import PRIORITIES, TITLE_LIMIT, text_input
from storage.models import Case, Promise

FATES = [
    (Fate.KEPT.value, "Kept: the customer has it"),
    (Fate.CANCELLED.value, "Cancelled: the customer knows it's off"),
]
# A modal holds at most 100 blocks; a case with more open promises is closed promise by promise.
MAX_FATES = 40


def fate_blocks(open_promises: list[Promise]) -> list[Block]:
    """One required question per open promise: what became of it."""
    if not open_promises:
        return []
    options = [Option(value=value, text=PlainTextObject(text=label)) for value, label in FATES]
    blocks: list[Block] = [
        section(
            f"*{counted(len(open_promises), 'promise')} still open.* What became of each? A cancelled one is"
            " counted as cancelled, not kept; one past its due time stays a miss."
        )
    ]
    for promise in open_promises[:MAX_FATES]:
        blocks.append(
            InputBlock(
                block_id=f"{FATE_PREFIX}{promise.id}",
                label=PlainTextObject(text=clip(f"“{promise.description}”", 150)),
                hint=PlainTextObject(text=f"due {promise.due_at:%a %b %d %H:%M} UTC"),
                element=RadioButtonsElement(action_id=ActionId.FATE.value, options=options),
            )
        )
    return blocks


def too_many_open(case: Case, open_promises: list[Promise]) -> str | None:
    if len(open_promises) <= MAX_FATES:
        return None
    return (
        f"{case.ref} has {len(open_promises)} open promises, more than one form can ask about: mark them"
        f" kept (`/case done {case.ref}`) or cancelled (`/case cancel {case.ref} &lt;why&gt;`) first."
    )


# The edit form's text fields: (block, action, label, max length), each optional but the summary.
_EDITABLE_TEXT = (
    (BlockId.CUSTOMER, ActionId.CUSTOMER, "Customer", LIMITS["customer"], "customer"),
    (BlockId.SUMMARY, ActionId.SUMMARY, "What is it about?", LIMITS["summary"], "summary"),
    (BlockId.ACCOUNT, ActionId.ACCOUNT, "Account number", 100, "account_ref"),
    (BlockId.ORDER, ActionId.ORDER, "Order number", 100, "order_ref"),
    (BlockId.TRACKING, ActionId.TRACKING, "Tracking number", 100, "tracking_ref"),
    (BlockId.CUSTOMER_TZ, ActionId.CUSTOMER_TZ, "Customer's time zone", 60, "customer_tz"),
)


def edit_view(case: Case, subject: Subject) -> View:
    """Everything the case says that may need correcting, as it is now."""
    priorities = [Option(value=value, text=PlainTextObject(text=label)) for value, label in PRIORITIES]
    current = next((o for o in priorities if o.value == case.priority.value), priorities[1])
    blocks: list[Block] = [section(f"*{case.ref}* · opened {when(case.opened_at)}")]
    for block, action, label, limit, field in _EDITABLE_TEXT:
        summary = block is BlockId.SUMMARY
        blocks.append(
            text_input(
                block,
                action,
                label,
                optional=not summary,
                multiline=summary,
                max_length=limit,
                placeholder="Europe/Berlin, or a city like Chicago" if block is BlockId.CUSTOMER_TZ else None,
                initial=getattr(case, field),
            )
        )
    blocks += [
        InputBlock(
            block_id=BlockId.PRIORITY.value,
            label=PlainTextObject(text="Priority"),
            element=StaticSelectElement(
                action_id=ActionId.PRIORITY.value, options=priorities, initial_option=current
            ),
        ),
        context("Each change is said in the case thread and kept on the record with what it was before."),
    ]
    return View(
        type="modal",
        callback_id=CallbackId.EDIT_CASE.value,
        title=PlainTextObject(text=clip(f"Edit {case.ref}", TITLE_LIMIT)),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=subject.encode(),
        blocks=blocks,
    )
