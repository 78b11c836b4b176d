"""A weekly moment on someone's own wall clock: when a manager's digest comes.

The format, for the DIGEST_SCHEDULE setting and for `/case digest`: a day and a time of day
(bot/clocktime.py, as every command writes one), such as `mon 09:00`, `fri 16:30`,
`friday 4:30pm`, or `off`. Read on each person's own Slack time zone, so "mon 09:00" is Monday
nine o'clock wherever they are, across DST."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from bot.clock import zone
from bot.clocktime import ClockError, parse_clock

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT = "mon 09:00"
OFF = "off"
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_SHAPE = re.compile(r"^\s*(?P<day>[a-z]+)\s+(?P<clock>\S.*?)\s*$")


class WeeklyError(ValueError):
    pass


@dataclass(frozen=True)
class Weekly:
    weekday: int  # 0 = Monday
    at: time

    def __str__(self) -> str:
        return f"{DAYS[self.weekday]} {self.at:%H:%M}"

    def latest(self, moment: datetime, tz: str) -> datetime:
        """The most recent occurrence at or before `moment`, in UTC. A local time that doesn't
        exist that day (a DST gap) is taken as the same wall time read with the earlier
        offset, which lands just after the gap: the digest still comes that day."""
        local_zone = zone(tz)
        local = moment.astimezone(local_zone)
        back = (local.weekday() - self.weekday) % 7
        for weeks in (0, 1):
            day = local.date() - timedelta(days=back + 7 * weeks)
            candidate = datetime.combine(day, self.at, tzinfo=local_zone).astimezone(UTC)
            if candidate <= moment:
                return candidate
        raise AssertionError("an occurrence within two weeks always exists")  # pragma: no cover


def parse(text: str) -> Weekly | None:
    """`mon 09:00` → Weekly; `off` → None. Anything else raises WeeklyError saying why."""
    cleaned = " ".join(text.lower().split())
    if cleaned == OFF:
        return None
    match = _SHAPE.match(cleaned)
    shape = f"{text.strip()!r} is not a day and a time: use e.g. `mon 09:00`, `fri 4:30pm` or `off`"
    if not match:
        raise WeeklyError(shape)
    day = match["day"]
    names = [DAYS[i] for i, full in enumerate(_FULL_NAMES) if day in (DAYS[i], full)]
    try:
        at = parse_clock(match["clock"])
    except ClockError as error:
        # Neither part reads ("every friday"): say what the whole should look like.
        raise WeeklyError(str(error) if names else shape) from None
    if not names:
        raise WeeklyError(
            f"{match['day']!r} is not a day of the week: use mon, tue, wed, thu, fri, sat or sun"
        )
    return Weekly(weekday=DAYS.index(names[0]), at=at)
