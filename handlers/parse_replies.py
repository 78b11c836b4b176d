"""Replies people write rather than commands: a reply in a case thread that asks for something
(`promise …`, `reschedule …`, `cancel: …`, `note: …`), and a message to the bot in its DM
(`done`, `help`). Pure functions, like handlers/parse.py: typed requests or a CaseError."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import CaseError
from handlers.parse import (
    MAX_CARRIED_NOTE,
    PromiseReply,
    parse_case_ref,
    parse_promise_reply,
    short_note,
    split_when_what,
)
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


# ---- a reply that reads like a promise -------------------------------------------------------

# Detection is deliberately narrow: a false offer is a nuisance in every thread, a missed one
# only leaves things as they were (a contact). It takes a commitment in the first person
# ("I promise to", "I'll", "we will"; "will …" only to open the reply) followed, in the same
# sentence, by a time bot/timeparse.py reads.
_COMMITMENT = re.compile(
    r"(?:^|[.!;,]\s+|\b(?:and|so|ok|okay)\s+)"
    r"(?P<lead>(?:i|we)\s+promised?(?:\s+(?:to|that\s+(?:i|we)(?:['’]ll|\s+will)))?"
    r"|(?:i|we)(?:['’]ll|\s+will|\s+shall)"
    # "will …" alone only opens a sentence: "Customer called and will send photos" is theirs.
    r"|(?:^|(?<=[.!;,]\s))will)"
    r"\s+(?P<rest>[^.!?;]+)",
    re.I,
)
# Not a commitment to do something, or not the author's: "I'll be off tomorrow", "we will not".
_NOT_A_DEED = re.compile(r"^(?:not|never|be|have|need|try|probably|maybe|you|they|he|she|it)\b", re.I)
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_CLOCK = r"(?:\d{1,2}(?::\d{2})?\s*(?:am|pm)|\d{1,2}:\d{2}|noon|midday)"
_EOD_WORDS = r"(?:eod|cob|end\s+of\s+(?:the\s+)?(?:business\s+|working\s+)?day|end\s+of\s+business)"
_DAY_WORD = rf"(?:today|tomorrow|{_WEEKDAY})"
_TIME_PHRASE = re.compile(
    r"\b(?:(?:by|before|on|at|until)\s+)?(?P<when>"
    rf"(?:in|within)\s+(?:\d{{1,3}}|an?|one|two|three)\s+(?:minutes?|mins?|hours?|hrs?|days?"
    r"|business\s+days?|working\s+days?)"
    rf"|{_DAY_WORD}(?:\s+(?:(?:at|by|before)\s+)?(?:{_CLOCK}|{_EOD_WORDS}))?"
    rf"|{_CLOCK}(?:\s+(?:on\s+)?{_DAY_WORD})?"
    rf"|{_EOD_WORDS}(?:\s+{_DAY_WORD})?"
    r")\b",
    re.I,
)


@dataclass(frozen=True)
class PromiseOffer:
    """A reply that reads like a promise: what and when, as read, to offer recording it (never
    recorded without its author saying so)."""

    what: str
    when: str


def promise_offer(text: str) -> PromiseOffer | None:
    """What a plain reply seems to promise, or None. Never for a reply that is already a
    request (`promise …`, `note:`, `reschedule …`, `cancel: …`), readable or not, nor for a
    question."""
    text = " ".join((text or "").split())
    if not text or len(text) > 1000 or text.rstrip().endswith("?"):
        return None
    try:
        if parse_thread_reply(text) is not None:
            return None
    except CaseError:
        return None  # an attempt at a request: its author hears why it did nothing
    for commitment in _COMMITMENT.finditer(text):
        rest = commitment.group("rest").strip()
        if _NOT_A_DEED.match(rest):
            continue
        found = _TIME_PHRASE.search(rest)
        if found is None:
            continue
        what = (rest[: found.start()] + " " + rest[found.end() :]).strip(" ,:-–—")
        what = " ".join(what.split())
        if not what:
            continue
        if len(what) > MAX_CARRIED_NOTE:  # it travels on a button: cut, the form can be edited
            what = what[: MAX_CARRIED_NOTE - 1].rstrip() + "…"
        return PromiseOffer(what=what[0].upper() + what[1:], when=_readable(found.group("when")))
    return None


def _readable(when: str) -> str:
    """The time as bot/timeparse.py reads it: "within 2 hours" is "in 2 hours"; "today" alone
    would be now (already gone), so it is the end of today's working day."""
    when = " ".join(when.split())
    lowered = when.lower()
    if lowered.startswith("within "):
        return "in " + when[len("within ") :]
    if lowered == "today":
        return "today eod"
    return when
