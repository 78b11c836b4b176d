"""'tomorrow 3pm' in someone's time zone -> an aware UTC datetime, or a CaseError that says why.

Durations ("in 2 hours") are added to UTC now, so they mean exactly that long even across a
DST change. Calendar phrases ("tomorrow 3pm", "friday 10:00") are read on the person's own
wall clock with dateparser and only then placed in their zone with zoneinfo: dateparser's own
time-zone settings apply a fixed offset and go wrong across DST.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dateparser

from bot.errors import CaseError

MAX_AHEAD = timedelta(days=366)

_UNITS = {
    "s": "seconds",
    "sec": "seconds",
    "secs": "seconds",
    "second": "seconds",
    "seconds": "seconds",
    "m": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "hours": "hours",
    "d": "days",
    "day": "days",
    "days": "days",
    "w": "weeks",
    "week": "weeks",
    "weeks": "weeks",
}
_DURATION_PART = r"(\d+(?:\.\d+)?|an?|one)\s*(" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")\b"
_DURATION = re.compile(rf"^(?:in\s+)?((?:{_DURATION_PART}\s*(?:and\s+|,\s*)?)+)(?:from now)?$", re.I)
_PART = re.compile(_DURATION_PART, re.I)

_DATEPARSER_SETTINGS = {
    "PREFER_DATES_FROM": "future",
    "RETURN_AS_TIMEZONE_AWARE": False,
    "STRICT_PARSING": False,
    "PARSERS": ["relative-time", "absolute-time"],
}


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone, or UTC when Slack gave none we know."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_when(text: str, tz_name: str | None, now: datetime) -> datetime:
    """Read a due time. `now` is aware; the result is aware UTC, in the future."""
    phrase = " ".join(text.split())
    if not phrase:
        raise CaseError("Say when, for example `in 2 hours`, `tomorrow 3pm` or `friday 10:00`.")
    if len(phrase) > 100:
        raise CaseError("That time is too long to read; say it in a few words, like `tomorrow 3pm`.")

    due = _duration_from(phrase, now) or _calendar_from(phrase, zone(tz_name), now)
    if due is None:
        raise CaseError(
            f"I can't read “{phrase}” as a time. Try `in 30 minutes`, `tomorrow 3pm` or `friday 10:00`."
        )
    if due <= now:
        raise CaseError(
            f"“{phrase}” is in the past ({_local(due, tz_name)}). A promise needs a time still to come."
        )
    if due - now > MAX_AHEAD:
        raise CaseError(f"“{phrase}” is more than a year away; promise something nearer.")
    return due


def _duration_from(phrase: str, now: datetime) -> datetime | None:
    match = _DURATION.match(phrase)
    if not match:
        return None
    delta = timedelta()
    for amount, unit in _PART.findall(match.group(1)):
        number = 1.0 if amount.lower() in ("a", "an", "one") else float(amount)
        delta += timedelta(**{_UNITS[unit.lower()]: number})
    return now.astimezone(UTC) + delta


def _calendar_from(phrase: str, tz: ZoneInfo, now: datetime) -> datetime | None:
    local_now = now.astimezone(tz).replace(tzinfo=None)
    settings = dict(_DATEPARSER_SETTINGS, RELATIVE_BASE=local_now)
    try:
        wall = dateparser.parse(phrase, languages=["en"], settings=settings)
    except (ValueError, OverflowError, TypeError):
        return None
    if wall is None:
        return None
    if wall.tzinfo is not None:
        # The text named its own zone ("3pm UTC"): trust it.
        return wall.astimezone(UTC)
    placed = wall.replace(tzinfo=tz)
    # A wall time that does not exist (skipped by a DST jump) comes back shifted by
    # zoneinfo; refuse it rather than promise a time the person never said.
    if placed.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
        raise CaseError(f"{wall:%H:%M} does not exist on {wall:%b %d} in {tz.key} (the clocks change).")
    return placed.astimezone(UTC)


def _local(moment: datetime, tz_name: str | None) -> str:
    return moment.astimezone(zone(tz_name)).strftime("%a %b %d %H:%M %Z")


def warm_up() -> None:
    """dateparser loads its language data on first use (about a second): do it at start-up,
    not inside someone's slash command."""
    dateparser.parse("tomorrow 3pm", languages=["en"], settings=dict(_DATEPARSER_SETTINGS))
