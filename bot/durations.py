"""The one way a length of time is written, for every setting and command-line option that
takes one: a number and a unit, or several (`90s`, `15m`, `2h`, `1h30m`, `7d`, `2w`)."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)\s*([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
# What to say when a value is not one of these.
FORMS = "a number with s, m, h, d or w, like 90s, 15m, 2h, 7d or 2w"


def parse(text: str) -> timedelta:
    """'90s', '15m', '2h', '1h30m', '30d', '2w', '0s' -> timedelta. ValueError otherwise."""
    compact = text.strip().lower().replace(" ", "")
    if not compact:
        raise ValueError("empty duration")
    position = 0
    seconds = 0
    for match in _PART.finditer(compact):
        if match.start() != position:
            raise ValueError(f"not a duration: {text!r}")
        seconds += int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position != len(compact):
        raise ValueError(f"not a duration: {text!r}")
    return timedelta(seconds=seconds)
