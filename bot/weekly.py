"""A weekly moment on someone's own wall clock: when a manager's digest comes.

The format, for the DIGEST_SCHEDULE setting and for `/case digest`: a day and a time, such as
`mon 09:00` or `fri 16:30`, or `off`. Read on each person's own Slack time zone, so "mon 09:00"
is Monday nine o'clock wherever they are, across DST."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from bot.clock import zone

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT = "mon 09:00"
OFF = "off"
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_SHAPE = re.compile(r"^\s*(?P<day>[a-z]+)\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*$")


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
    if not match:
        raise WeeklyError(f"{text.strip()!r} is not a day and a time: use e.g. `mon 09:00` or `off`")
    day = match["day"]
    names = [DAYS[i] for i, full in enumerate(_FULL_NAMES) if day in (DAYS[i], full)]
    if not names:
        raise WeeklyError(
            f"{match['day']!r} is not a day of the week: use mon, tue, wed, thu, fri, sat or sun"
        )
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23 or minute > 59:
        raise WeeklyError(f"{match['hour']}:{match['minute']} is not a time of day (00:00-23:59)")
    return Weekly(weekday=DAYS.index(names[0]), at=time(hour, minute))
