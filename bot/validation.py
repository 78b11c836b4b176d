"""Checks every piece of free text the domain stores: people get a specific message, and the
database never holds control characters or a 5,000-character "summary".

Two ways, by where the text comes from:
- what someone types into a command or a form field (a summary, a promise, a note) is refused
  with a message saying why, and they type it again: nothing is stored that they didn't mean;
- a contact is a record of what was said to or by the customer, so it is never refused for
  its characters: a thread reply (or its edit) is already in Slack and nobody is waiting for an
  answer, and a contact typed into the card's form is the same record. Its control characters
  are cleaned out (`scrub`) and the cleaning is logged, and the contact is kept."""

from __future__ import annotations

import re

from bot.errors import CaseError

LIMITS = {
    "customer": 120,
    "summary": 500,
    "promise": 500,
    "note": 1000,
    "contact": 40000,
    "category": 80,
    "account number": 100,
    "order number": 100,
    "tracking number": 100,
}
# C0 and C1 controls (Unicode category Cc) except tab, newline and carriage return, which
# people type. C1 (\x80-\x9f) shows up when Windows-1252 text was decoded as Latin-1 on its way.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The controls among them that break a line (vertical tab, form feed, C1's next line): pasted
# text means a new line by them, so they become one rather than gluing two lines together.
_LINE_BREAKS = re.compile(r"[\x0b\x0c\x85]")


def scrub(value: str) -> tuple[str, int]:
    """`value` without control characters, and how many there were: the line-breaking ones
    become line breaks, the others (NUL, escape, backspace, bell…) are left out."""
    found = len(_CONTROL.findall(value))
    if not found:
        return value, 0
    return _CONTROL.sub("", _LINE_BREAKS.sub("\n", value)), found


def clean_text(value: str, what: str, *, required: bool = True) -> str:
    """Trim, refuse control characters and over-long text. `what` names the field for people."""
    cleaned = value.strip()
    if required and not cleaned:
        raise CaseError(f"The {what} is empty.")
    if _CONTROL.search(cleaned):
        raise CaseError(f"The {what} contains control characters; please type it again as plain text.")
    limit = LIMITS[what]
    if len(cleaned) > limit:
        raise CaseError(
            f"The {what} is {len(cleaned):,} characters long; keep it under {limit:,}"
            " (details belong in the case thread)."
        )
    return cleaned


def escaped(value: str) -> str:
    """Someone's words inside a message: the messages the domain words are Slack mrkdwn (they
    name people as `<@U…>`), so the three characters Slack reads as markup are escaped (Slack's
    own rule: api.slack.com → Formatting → Escaping), as every view does with text people typed
    (handlers/slack_text.py). Nothing a person typed can then become a link or a mention."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoted(value: str, limit: int) -> str:
    """Someone's text as echoed back inside a refusal: control characters shown as � so the
    message stays readable (and Slack never gets a NUL), escaped (`escaped`), and cut with "…"
    where it would pass `limit` characters as sent."""
    shown: list[str] = []
    length = 0
    for char in _CONTROL.sub("\N{REPLACEMENT CHARACTER}", value):
        piece = escaped(char)
        if length + len(piece) > limit:
            shown.append("…")
            break
        shown.append(piece)
        length += len(piece)
    return "".join(shown)
