"""Reading a submitted modal: its values by block id, and the due time it gives (the day and
time pickers, or the time said in words). A problem with one field is a FieldError, shown
under that field while the modal stays open with what was typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.errors import CaseError
from bot.timeparse import Clocks, due_time, find_zone
from handlers.ids import BlockId


class FieldError(Exception):
    """A problem with one field of a modal: shown under that field."""

    def __init__(self, block: BlockId, message: str):
        super().__init__(message)
        self.block = block
        self.block_id = block.value
        self.message = message


class FieldErrorAt(FieldError):
    """The same, for a field whose block id is made per item (the close form's question about
    each promise)."""

    def __init__(self, block_id: str, message: str):
        Exception.__init__(self, message)
        self.block_id = block_id
        self.message = message


@dataclass(frozen=True)
class Submitted:
    """The values of a submitted modal, by block id."""

    values: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, view: dict[str, Any]) -> Submitted:
        flat: dict[str, dict[str, Any]] = {}
        for block_id, by_action in (view.get("state") or {}).get("values", {}).items():
            # One element per input block: its state is the block's value.
            flat[block_id] = next(iter(by_action.values()), {}) or {}
        return cls(flat)

    def text(self, block: BlockId) -> str:
        return (self.values.get(block.value, {}).get("value") or "").strip()

    def option(self, block: BlockId) -> str | None:
        chosen = self.values.get(block.value, {}).get("selected_option") or {}
        return chosen.get("value")

    def checked(self, block: BlockId) -> bool:
        return bool(self.values.get(block.value, {}).get("selected_options"))

    def date(self) -> str | None:
        return self.values.get(BlockId.WHEN_DATE.value, {}).get("selected_date")

    def time(self) -> str | None:
        return self.values.get(BlockId.WHEN_TIME.value, {}).get("selected_time")

    def user(self, block: BlockId) -> str | None:
        return self.values.get(block.value, {}).get("selected_user")

    def by_prefix(self, prefix: str) -> dict[str, str | None]:
        """The chosen option of every block whose id starts with `prefix`, by the rest of its id
        (the close form's question per promise: "fate.17" -> {"17": "kept"})."""
        return {
            block_id[len(prefix) :]: (state.get("selected_option") or {}).get("value")
            for block_id, state in self.values.items()
            if block_id.startswith(prefix)
        }


def customer_zone(typed: str | None) -> str | None:
    if not typed:
        return None
    try:
        return find_zone(typed)
    except CaseError as error:
        raise FieldError(BlockId.CUSTOMER_TZ, str(error)) from None


def due_from(submitted: Submitted, clocks: Clocks, now: datetime) -> datetime:
    """The day and time pickers, or the free text: one of the two, on the owner's clock (the
    text may say "customer time": then the customer's)."""
    day, clock, said = submitted.date(), submitted.time(), submitted.text(BlockId.WHEN_TEXT)
    if said and (day or clock):
        raise FieldError(BlockId.WHEN_TEXT, "Pick a day and time, or say when here: not both.")
    if said:
        phrase, block = said, BlockId.WHEN_TEXT
    elif day and clock:
        phrase, block = f"{day} {clock}", BlockId.WHEN_TIME
    elif day:
        raise FieldError(BlockId.WHEN_TIME, "Pick the time too (or say when in words below).")
    elif clock:
        raise FieldError(BlockId.WHEN_DATE, "Pick the day too (or say when in words below).")
    else:
        raise FieldError(
            BlockId.WHEN_TEXT, "When? Pick a day and a time, or say it here, like `tomorrow 3pm`."
        )
    try:
        return due_time(phrase, clocks, now)
    except CaseError as error:
        raise FieldError(block, str(error)) from None
