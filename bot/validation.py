"""Checks every piece of free text the domain stores: people get a specific message, and the
database never holds control characters or a 5,000-character "summary"."""

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


def quoted(value: str, limit: int) -> str:
    """Someone's text as echoed back inside a refusal: at most `limit` characters, and control
    characters shown as � so the message stays readable (and Slack never gets a NUL)."""
    shown = value if len(value) <= limit else value[:limit] + "…"
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", shown)
