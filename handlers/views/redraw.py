"""Redrawing a message whose question was answered (a reminder kept, an escalation acknowledged):
its buttons go and a line says who did what, so nobody clicks twice. In a catch-up summary only
the item that was answered is redrawn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers.ids import BlockId
from handlers.views.blocks import context
from handlers.views.catch_up import ITEM_PREFIX

# Blocks of a message that ask for a decision, dropped when it is redrawn as decided.
NOTE_BLOCK = "last_done"
# The line saying how a promise ended, added when an escalation is settled afterwards: drawn
# again (not added twice) if that redraw is repeated.
SETTLED_BLOCK = "settled"
QUESTION_BLOCKS = {
    BlockId.REMINDER_ACTIONS.value,
    BlockId.ESCALATION_ACTIONS.value,
    BlockId.CARD_ACTIONS.value,
}


def item_of(block_id: str | None) -> str | None:
    """The item a clicked block belongs to ("catch_up.17"), None outside a summary."""
    if not block_id or not block_id.startswith(ITEM_PREFIX):
        return None
    parts = block_id.split(".")
    return ".".join(parts[:2]) if len(parts) >= 3 else None


def redraw_item(
    blocks: list[dict[str, Any]], item: str, decide: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The summary with only `item`'s blocks passed through `decide` (what redrawing a whole
    single message does); every other item keeps its buttons."""
    prefix = f"{item}."
    inside = [n for n, b in enumerate(blocks) if str(b.get("block_id") or "").startswith(prefix)]
    if not inside:
        return blocks
    start, end = inside[0], inside[-1] + 1
    own = [{**b, "block_id": str(b["block_id"])[len(prefix) :]} for b in blocks[start:end]]
    redrawn: list[dict[str, Any]] = []
    for n, block in enumerate(decide(own)):
        # block_ids are unique in a message: every block of the item keeps the item's prefix.
        redrawn.append({**block, "block_id": f"{prefix}{block.get('block_id') or f'note{n}'}"})
    return [*blocks[:start], *redrawn, *blocks[end:]]


def decided(
    blocks: list[dict[str, Any]], note: str, *, keep_buttons: bool = False, note_id: str | None = None
) -> list[dict[str, Any]]:
    """The blocks without the buttons and the hint under them, plus what was decided (or, with
    keep_buttons, everything as it was and what was done last). With note_id, the note takes
    the place of an earlier one with that id."""
    note_block = context(f":white_check_mark: {note}").to_dict()
    if note_id is not None:
        blocks = [b for b in blocks if b.get("block_id") != note_id]
        note_block["block_id"] = note_id
    if keep_buttons:
        # One note at a time: a second snooze replaces the first one's line.
        earlier = [b for b in blocks if b.get("block_id") != NOTE_BLOCK]
        return [*earlier, {**note_block, "block_id": NOTE_BLOCK}]
    kept: list[dict[str, Any]] = []
    after_buttons = False
    for block in blocks:
        if block.get("type") == "actions" or block.get("block_id") in QUESTION_BLOCKS:
            after_buttons = True
            continue
        if after_buttons and block.get("type") == "context":
            continue
        after_buttons = False
        kept.append(block)
    return [*kept, note_block]


def settled(blocks: list[dict[str, Any]], row_id: int, line: str) -> list[dict[str, Any]]:
    """An escalation message (or its item in a catch-up summary: only that one) whose promise
    ended: no buttons, and the line saying how, in place of any earlier such line."""
    item = f"{ITEM_PREFIX}{row_id}"
    if any(str(b.get("block_id") or "").startswith(f"{item}.") for b in blocks):
        return redraw_item(blocks, item, lambda own: decided(own, line, note_id=SETTLED_BLOCK))
    return decided(blocks, line, note_id=SETTLED_BLOCK)
