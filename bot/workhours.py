"""Working hours: when an escalation may reach someone. Read on each person's own wall clock
(their Slack time zone), so "09:00-17:00" means nine to five wherever they are, across DST.

Quiet hours are opt-in: with WORKING_HOURS unset and no `/case hours` of their own, an
escalation reaches someone whenever it is due.

The format, for the WORKING_HOURS setting and for `/case hours`: days then hours, for example
`mon-fri 09:00-17:00`, `mon-fri 9am-5pm`, `mon,tue,thu 08:30-16:30`, `sun-thu 22:00-06:00` (a
night shift that crosses midnight belongs to the day it starts on) or `mon-sun 00:00-24:00` (any
time). The times of day are written as everywhere else (bot/clocktime.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from bot.clock import zone
from bot.clocktime import ClockError, parse_clock

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_CLOCK = r"(?:\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?|noon|midnight)"
_SHAPE = re.compile(rf"^\s*(?P<days>[a-z,\- ]+?)\s+(?P<start>{_CLOCK})\s*(?:-|–|to)\s*(?P<end>{_CLOCK})\s*$")


class WorkingHoursError(ValueError):
    pass


@dataclass(frozen=True)
class WorkingHours:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time

    def __str__(self) -> str:
        end = "24:00" if self.end == time(0, 0) else f"{self.end:%H:%M}"
        return f"{_days_text(self.days)} {self.start:%H:%M}-{end}"

    def _shift_of(self, local: datetime) -> tuple[datetime, datetime] | None:
        """The shift (start, end, as local wall-clock datetimes) that `local` falls in."""
        for back in (0, 1):
            day = local.date() - timedelta(days=back)
            if day.weekday() not in self.days:
                continue
            begins = datetime.combine(day, self.start)
            ends = datetime.combine(day, self.end)
            if ends <= begins:
                ends += timedelta(days=1)
            if begins <= local.replace(tzinfo=None) < ends:
                return begins, ends
        return None

    def next_start(self, moment: datetime, tz: str) -> datetime | None:
        """None when `moment` is inside working hours; otherwise when the next shift starts
        (UTC). A nonexistent local start (a DST gap) starts at the first real minute after."""
        local_zone = zone(tz)
        local = moment.astimezone(local_zone)
        if self._shift_of(local) is not None:
            return None
        for ahead in range(8):
            day = local.date() + timedelta(days=ahead)
            if day.weekday() not in self.days:
                continue
            begins = datetime.combine(day, self.start, tzinfo=local_zone)
            # Wall-clock times in a DST gap don't exist; fold the other way lands after it.
            begins_utc = begins.astimezone(UTC)
            if begins_utc.astimezone(local_zone).replace(tzinfo=None) != begins.replace(tzinfo=None):
                begins_utc = begins.replace(fold=1).astimezone(UTC)
            if begins_utc > moment:
                return begins_utc
        raise AssertionError("working hours have at least one day")  # parse() guarantees it


def parse(text: str) -> WorkingHours:
    match = _SHAPE.match((text or "").strip().lower())
    if not match:
        raise WorkingHoursError(
            f"{text!r} is not working hours; write days then hours, like `mon-fri 09:00-17:00`"
        )
    days = _parse_days(match["days"])
    start = _clock(match["start"])
    # 24:00 (or midnight) ends the day: "mon-sun 00:00-24:00" is always.
    whole_day = match["end"].strip() in ("24:00", "midnight")
    end = time(0, 0) if whole_day else _clock(match["end"])
    if start == end and not whole_day:
        raise WorkingHoursError("working hours must start and end at different times")
    return WorkingHours(days=days, start=start, end=end)


def _parse_days(text: str) -> frozenset[int]:
    days: set[int] = set()
    for part in re.split(r"[,\s]+", text.strip()):
        if not part:
            continue
        first, _, last = part.partition("-")
        if first[:3] not in DAYS or (last and last[:3] not in DAYS):
            raise WorkingHoursError(f"{part!r} is not a day or a range of days (mon, tue, … sun; mon-fri)")
        a = DAYS.index(first[:3])
        b = DAYS.index(last[:3]) if last else a
        # fri-mon wraps over the weekend.
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    if not days:
        raise WorkingHoursError("working hours need at least one day, like `mon-fri`")
    return frozenset(days)


def _clock(text: str) -> time:
    try:
        return parse_clock(text)
    except ClockError as error:
        raise WorkingHoursError(str(error)) from None


def _days_text(days: frozenset[int]) -> str:
    """mon-fri, sun-thu (a run that wraps past Sunday), or a list."""
    if len(days) > 2 and len(days) < 7:
        for first in days:
            if (first - 1) % 7 not in days:
                run = [(first + i) % 7 for i in range(len(days))]
                if set(run) == days:
                    return f"{DAYS[run[0]]}-{DAYS[run[-1]]}"
    if len(days) == 7:
        return "mon-sun"
    return ",".join(DAYS[d] for d in sorted(days))


# What "eod" and "business day" mean for someone with no working hours of their own and none
# set for the workspace: quiet hours for escalations are opt-in, but a promise "by eod" still
# needs a day that ends, and a business day is a weekday.
USUAL_OFFICE_HOURS = parse("mon-fri 09:00-17:00")
