"""Replies people write rather than commands: a reply in a case thread that asks for something
(`promise …`, `reschedule …`, `cancel: …`, `note: …`), and a message to the bot in its DM
(`done`, `help`). Pure functions, like handlers/parse.py: typed requests or a CaseError."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import CaseError
from handlers.parse import PromiseReply, parse_case_ref, parse_promise_reply, short_note, split_when_what
from handlers.slack_text import escape

# `note: the customer is a VIP, be gentle` keeps a reply as an internal note: never a contact.
NOTE_PREFIX = "note:"
_NOTE = re.compile(r"^\s*note\s*:", re.I)
_RESCHEDULE = re.compile(r"^\s*reschedule\b[\s:]*(?P<rest>.*)$", re.I | re.S)
# The colon is required: "Cancel the order, the customer asked" is a contact, not a request.
_CANCEL = re.compile(r"^\s*cancel\s*:\s*(?P<rest>.*)$", re.I | re.S)

REPLY_USAGE = {
    "reschedule": "`reschedule <when>: <what you told the customer>`, for example"
    " `reschedule friday 10am: courier delayed`",
    "cancel": "`cancel: <why>`, for example `cancel: the customer got a refund instead`",
}
# Shown inside mrkdwn replies, like handlers/usage.py: escaped once here.
REPLY_USAGE = {verb: escape(usage) for verb, usage in REPLY_USAGE.items()}


@dataclass(frozen=True)
class NoteReply:
    """An internal note: kept on the case, not counted as a contact."""


@dataclass(frozen=True)
class RescheduleReply:
    when: str
    note: str


@dataclass(frozen=True)
class CancelReply:
    reason: str


ThreadRequest = PromiseReply | RescheduleReply | CancelReply | NoteReply


def parse_thread_reply(text: str) -> ThreadRequest | None:
    """What a reply in a case thread asks for, besides being logged; None for a plain contact.
    A CaseError says why a reply that looks like a request can't be read (the reply is still
    logged as a contact)."""
    text = text or ""
    if _NOTE.match(text):
        return NoteReply()
    reschedule = _RESCHEDULE.match(text)
    if reschedule:
        when, note = split_when_what(reschedule.group("rest").strip(), REPLY_USAGE["reschedule"])
        return RescheduleReply(when=when, note=short_note(note))
    cancel = _CANCEL.match(text)
    if cancel:
        reason = cancel.group("rest").strip()
        if not reason:
            raise CaseError(f"Say why it is called off: {REPLY_USAGE['cancel']}.")
        return CancelReply(reason=short_note(reason))
    return parse_promise_reply(text)


def is_note(text: str) -> bool:
    return bool(_NOTE.match(text or ""))


def is_change_request(text: str) -> bool:
    """A reply asking for a new time or a cancellation (whether or not it reads)."""
    return bool(_RESCHEDULE.match(text or "") or _CANCEL.match(text or ""))


# ---- the bot's DM ---------------------------------------------------------------------------

_DONE_WORDS = {"done", "kept", "did it", "sent", "finished", "✅", ":white_check_mark:", ":heavy_check_mark:"}


@dataclass(frozen=True)
class DmDone:
    """ "done" (or "done CASE-7"): a promise is kept. Without a case: the one the reminder
    answered was about, or the only one a reminder asked about."""

    case_id: int | None = None


@dataclass(frozen=True)
class DmHelp:
    """Anything the DM doesn't understand: it answers with what it does."""

    said: str


DmRequest = DmDone | DmHelp


def parse_dm(text: str) -> DmRequest:
    words = " ".join((text or "").replace("!", " ").replace(".", " ").split())
    lowered = words.lower()
    if lowered in _DONE_WORDS:
        return DmDone()
    first, _, rest = lowered.partition(" ")
    if first in ("done", "kept") and rest:
        case_id = parse_case_ref(rest)
        if case_id is not None:
            return DmDone(case_id=case_id)
    return DmHelp(said=words)
