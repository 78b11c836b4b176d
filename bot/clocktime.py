"""A time of day as people write it, the same everywhere a command takes one (`/case hours`,
`/case digest`, a due time's `eod`): `15:00`, `9:30`, `3pm`, `3:30 pm`, `9am`, `noon`,
`midnight`; and, where a day has an end, `24:00`. Plain values, no dates."""

from __future__ import annotations

import re
from datetime import time

_CLOCK = re.compile(
    r"^(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<half>a\.?m\.?|p\.?m\.?)?$",
    re.I,
)
_NAMED = {"noon": time(12, 0), "midday": time(12, 0), "midnight": time(0, 0)}
FORMS = "a time of day like 15:00, 9:30, 3pm or 3:30pm"


class ClockError(ValueError):
    pass


def parse_clock(text: str, *, end_of_day: bool = False) -> time:
    """'15:00', '9:30', '3pm', '12am', 'noon' -> time. `end_of_day`: '24:00' (and 'midnight')
    is the end of the day, given as time(0, 0) like the start: the caller knows which it means.
    A bare hour ('9') needs its minutes or am/pm: '9' alone could be either half of the day.
    ClockError saying why otherwise."""
    said = " ".join((text or "").lower().split())
    if said in _NAMED:
        return _NAMED[said]
    match = _CLOCK.match(said)
    if not match:
        raise ClockError(f"“{text.strip()}” is not {FORMS}")
    hour = int(match["hour"])
    minute = int(match["minute"] or 0)
    half = (match["half"] or "").replace(".", "")
    if not half and match["minute"] is None:
        raise ClockError(f"“{text.strip()}” needs minutes or am/pm: 09:00, 9am")
    if half:
        if not 1 <= hour <= 12 or minute > 59:
            raise ClockError(f"“{text.strip()}” is not a time of day (1-12 with am or pm)")
        hour = hour % 12 + (12 if half == "pm" else 0)
        return time(hour, minute)
    if end_of_day and (hour, minute) == (24, 0):
        return time(0, 0)
    if hour > 23 or minute > 59:
        raise ClockError(f"{hour}:{minute:02d} is not a time of day (00:00-23:59)")
    return time(hour, minute)


def clock_text(moment: time) -> str:
    return f"{moment:%H:%M}"
