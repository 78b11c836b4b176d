"""The one way a length of time is written, for every setting, command and command-line option
that takes one: a number and a unit, or several, compact or in words.

    90s  15m  2h  1h30m  7d  2w            compact
    90 seconds  15 minutes  2 hours and 30 minutes  an hour  1.5 hours  3 days  2 weeks

Units: s, sec, second(s); m, min, minute(s); h, hr, hour(s); d, day(s); w, week(s). Parts may be
joined by spaces, commas or "and". Business days are not a length of time (a weekend is not
two of them): bot/timeparse.py reads `in 2 business days` on the owner's working hours."""

from __future__ import annotations

import re
from datetime import timedelta

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
    "wk": "weeks",
    "wks": "weeks",
    "week": "weeks",
    "weeks": "weeks",
}
# "a"/"an"/"one" must stand alone ("an hour"): otherwise the "and" of "2 hours and 30 minutes"
# would read as "an d", one day more. A unit ends where letters end, so "1h30m" is two parts.
_PART = re.compile(
    r"\s*(?P<amount>\d+(?:\.\d+)?|\b(?:an?|one)(?=\s))\s*(?P<unit>"
    + "|".join(sorted(_UNITS, key=len, reverse=True))
    + r")(?![a-z])\s*(?:,\s*|and\s+)?",
    re.I,
)
# What to say when a value is not one of these.
FORMS = "a number with s, m, h, d or w, like 90s, 15m, 2h, 7d or 2w (or in words: 2 hours, 3 days)"


class TooLong(ValueError):
    """A duration past what a datetime can hold: far outside anything the bot plans for."""


def parse(text: str) -> timedelta:
    """'90s', '15m', '1h30m', '2 hours and 30 minutes', 'an hour', '0s' -> timedelta.
    ValueError (saying what it couldn't read) otherwise."""
    compact = " ".join((text or "").split())
    if not compact:
        raise ValueError("empty duration")
    position = 0
    total = timedelta()
    for match in _PART.finditer(compact):
        if match.start() != position:
            raise ValueError(f"not a duration: {text!r}")
        amount = match.group("amount").lower()
        number = 1.0 if amount in ("a", "an", "one") else float(amount)
        try:
            total += timedelta(**{_UNITS[match.group("unit").lower()]: number})
        except OverflowError:
            raise TooLong(f"too long a duration: {text!r}") from None
        position = match.end()
    if position == 0 or position != len(compact):
        raise ValueError(f"not a duration: {text!r}")
    return total


def is_duration(text: str) -> bool:
    try:
        parse(text)
    except TooLong:
        return True
    except ValueError:
        return False
    return True


def short(delta: timedelta) -> str:
    """A length of time as people read it at a glance: `2d 3h`, `45m`, "under a minute"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    return " ".join(p for p in parts if p)
