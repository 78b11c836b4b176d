"""'tomorrow 3pm' in someone's time zone -> an aware UTC datetime, or a CaseError that says why.

Durations ("in 2 hours") are added to UTC now, so they mean exactly that long even across a
DST change. Calendar phrases ("tomorrow 3pm", "friday 10:00") are read on the person's own
wall clock with dateparser and only then placed in their zone with zoneinfo: dateparser's own
time-zone settings apply a fixed offset and go wrong across DST.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import dateparser

from bot import durations
from bot.clock import zone
from bot.errors import CaseError
from bot.validation import quoted
from bot.workhours import DAYS as _SHORT_DAYS
from bot.workhours import USUAL_OFFICE_HOURS, WorkingHours

_WEEKDAYS = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    *_SHORT_DAYS,
)

MAX_AHEAD = timedelta(days=366)

# "in 2 hours", "2h", "90 minutes from now": any duration bot/durations.py reads, from UTC now.
_DURATION = re.compile(r"^(?:in\s+)?(?P<span>.+?)(?:\s+from\s+now)?$", re.I)
# "in 2 business days", "3 working days from now": counted on the owner's working days.
_BUSINESS_DAYS = re.compile(
    r"^(?:in\s+)?(?P<count>\d{1,3}|an?|one)\s+(?:business|working|work)\s+days?(?:\s+from\s+now)?$", re.I
)
_DAY_WORDS = ("today", "tomorrow", *_WEEKDAYS)
_DAY = r"(?:" + "|".join(_DAY_WORDS) + r")"
# "eod", "end of day", "by end of business", "cob", "tomorrow eod", "eod friday".
_EOD = re.compile(
    rf"^(?:by\s+)?(?:(?P<before>{_DAY})\s+)?(?:by\s+)?(?:the\s+)?"
    r"(?:eod|cob|eob|end\s+of\s+(?:the\s+)?(?:business\s+|work(?:ing)?\s+)?day|end\s+of\s+business"
    r"|close\s+of\s+business)"
    rf"(?:\s+(?P<after>{_DAY}))?$",
    re.I,
)


@dataclass(frozen=True)
class Clocks:
    """How someone's due times are read: on the case owner's clock (their Slack time zone; their
    working hours for `eod` and business days), or on the customer's when the text says so."""

    tz: str | None
    customer_tz: str | None = None
    hours: WorkingHours | None = None


def due_time(text: str, clocks: Clocks, now: datetime) -> datetime:
    """parse_when on these clocks."""
    return parse_when(text, clocks.tz, now, clocks.customer_tz, hours=clocks.hours)


# RETURN_AS_TIMEZONE_AWARE is left at dateparser's default: aware only when the text names a
# zone. False would drop the "UTC" of "3pm UTC" and read it on the owner's clock; True would
# place every other phrase in this machine's zone.
_DATEPARSER_SETTINGS = {
    "PREFER_DATES_FROM": "future",
    "STRICT_PARSING": False,
    "PARSERS": ["relative-time", "absolute-time"],
}


# "3pm customer time", "tomorrow 9:00 (customer's time)", "friday 10am their time": read on the
# customer's clock instead of the owner's.
_CUSTOMER_TIME = re.compile(r"\s*\(?\s*\b(?:customer(?:'s|s|’s)?|their)\s+(?:local\s+)?time\s*\)?\s*$", re.I)


def says_customer_time(text: str) -> tuple[str, bool]:
    """The phrase without a trailing "customer time", and whether it had one."""
    stripped = _CUSTOMER_TIME.sub("", text)
    return stripped, stripped != text


def find_zone(text: str) -> str:
    """An IANA zone from what someone typed: "Europe/Berlin", "europe/berlin", or a city that
    names exactly one zone ("Berlin", "new york"). Raises CaseError saying what would do."""
    wanted = "_".join(text.strip().split())
    if not wanted:
        raise CaseError("Say the customer's time zone, like `Europe/Berlin` or `America/New_York`.")
    known = _zone_names()
    if wanted in known:
        return wanted
    lowered = wanted.lower()
    exact = [name for name in known if name.lower() == lowered]
    if exact:
        return exact[0]
    cities = sorted(name for name in known if name.lower().rsplit("/", 1)[-1] == lowered and "/" in name)
    cities = [c for c in cities if not c.startswith(("Etc/", "SystemV/", "US/"))] or cities
    if len(cities) == 1:
        return cities[0]
    shown = quoted(text.strip(), 60)
    if len(cities) > 1:
        raise CaseError(f"“{shown}” could be {', '.join(cities[:4])}: say which.")
    raise CaseError(
        f"“{shown}” is not a time zone I know. Use a zone name like `Europe/Berlin`,"
        " `America/New_York` or `Asia/Tokyo` (en.wikipedia.org/wiki/List_of_tz_database_time_zones)."
    )


@cache
def _zone_names() -> frozenset[str]:
    # Read from disk once: available_timezones() walks the whole tz database each call.
    return frozenset(available_timezones())


def parse_when(
    text: str,
    tz_name: str | None,
    now: datetime,
    customer_tz: str | None = None,
    *,
    hours: WorkingHours | None = None,
) -> datetime:
    """Read a due time. `now` is aware; the result is aware UTC, in the future. Calendar phrases
    are read on `tz_name`'s clock, or on the customer's when the text ends "customer time";
    `eod` and business days on `hours`, the owner's working hours."""
    phrase, on_customer_clock = says_customer_time(" ".join(text.split()))
    if on_customer_clock and _on_working_hours(phrase):
        raise CaseError(
            "`eod` and business days are counted on your own working hours: give the customer's"
            " time as a clock time, like `5pm customer time`."
        )
    if on_customer_clock:
        if not customer_tz:
            raise CaseError(
                "This case has no customer time zone yet: set it with `/case tz CASE-n Europe/Berlin`,"
                " or give the time on your own clock."
            )
        tz_name = customer_tz
    if not phrase:
        raise CaseError("Say when, for example `in 2 hours`, `tomorrow 3pm` or `friday 10:00`.")
    if len(phrase) > 100:
        raise CaseError("That time is too long to read; say it in a few words, like `tomorrow 3pm`.")

    shown = quoted(phrase, 100)
    try:
        due = (
            _duration_from(phrase, now)
            or _working_from(phrase, zone(tz_name), now, hours)
            or _calendar_from(phrase, zone(tz_name), now)
        )
    except OverflowError:
        # "in 99999999999 days", "31 dec 9999 11pm" west of UTC, "jan 1 0001" east of it: beyond
        # what a datetime holds, so far outside the year a promise may span, one way or the other.
        raise CaseError(
            f"“{shown}” is too far from today; a promise needs a time within the next year."
        ) from None
    if due is None:
        raise CaseError(
            f"I can't read “{shown}” as a time. Try `in 30 minutes`, `tomorrow 3pm` or `friday 10:00`."
        )
    if due <= now:
        raise CaseError(
            f"“{shown}” is in the past ({_local(due, tz_name)}). A promise needs a time still to come."
        )
    if due - now > MAX_AHEAD:
        raise CaseError(f"“{shown}” is more than a year away; promise something nearer.")
    return due


def _duration_from(phrase: str, now: datetime) -> datetime | None:
    match = _DURATION.match(phrase)
    if not match:
        return None
    try:
        delta = durations.parse(match.group("span"))
    except durations.TooLong:
        raise OverflowError from None
    except ValueError:
        return None
    return now.astimezone(UTC) + delta


def _on_working_hours(phrase: str) -> bool:
    return bool(_BUSINESS_DAYS.match(phrase) or _EOD.match(phrase))


def _working_from(phrase: str, tz: ZoneInfo, now: datetime, hours: WorkingHours | None) -> datetime | None:
    """`in 2 business days` (the same time of day, that many working days on) and `eod` (the end
    of the working day), on the owner's working hours; None for any other phrase."""
    days, eod = _BUSINESS_DAYS.match(phrase), _EOD.match(phrase)
    if days is None and eod is None:
        return None
    hours = hours or USUAL_OFFICE_HOURS
    local = now.astimezone(tz)
    if days is not None:
        count = days.group("count").lower()
        wanted = 1 if count in ("a", "an", "one") else int(count)
        day = local.date()
        while wanted > 0:
            day += timedelta(days=1)
            wanted -= day.weekday() in hours.days
        return _placed(datetime.combine(day, local.time().replace(tzinfo=None)), tz, now)
    assert eod is not None
    said = (eod.group("before") or eod.group("after") or "").lower()
    end = now
    for day in _days_from(local.date(), said, hours):
        end = _placed(_end_of(day, hours), tz, now)
        if end > now:
            break
    # "today eod" once today's working day is over: refused as in the past, like "today 5pm".
    return end


def _days_from(today: date, said: str, hours: WorkingHours) -> list[date]:
    """The days whose working day `eod` may end, first choice first: the day said (a weekday:
    this week's, or next week's once its working day is over), or else the working days from
    yesterday on."""
    if said == "today":
        return [today]
    if said == "tomorrow":
        return [today + timedelta(days=1)]
    if said:
        first = today + timedelta(days=(_WEEKDAYS.index(said) % 7 - today.weekday()) % 7)
        return [first, first + timedelta(days=7)]
    # From yesterday: a night shift that started then may still be running (it ends today).
    days = (today + timedelta(days=n) for n in range(-1, 8))
    return [day for day in days if day.weekday() in hours.days]


def _end_of(day: date, hours: WorkingHours) -> datetime:
    """When the working day that starts on `day` ends (a night shift ends the next morning;
    24:00 is the next midnight), as a wall-clock time."""
    starts, ends = datetime.combine(day, hours.start), datetime.combine(day, hours.end)
    return ends + timedelta(days=1) if ends <= starts else ends


def _placed(wall: datetime, tz: ZoneInfo, now: datetime) -> datetime:
    """A wall-clock time on `tz`, in UTC (see _calendar_from for the DST rules)."""
    placed = wall.replace(tzinfo=tz)
    if placed.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
        raise CaseError(f"{wall:%H:%M} does not exist on {wall:%b %d} in {tz.key} (the clocks change).")
    first, second = placed.astimezone(UTC), placed.replace(fold=1).astimezone(UTC)
    return second if first <= now < second else first


def _calendar_from(phrase: str, tz: ZoneInfo, now: datetime) -> datetime | None:
    wall = _read_wall_clock(phrase, now.astimezone(tz).replace(tzinfo=None))
    if wall is None:
        return None
    if wall.tzinfo is not None:
        # The text named its own zone ("3pm EST"): trust it, and read it again from now as an
        # aware time in that zone, so "tomorrow" and "has 3pm gone by" are judged on its clock.
        # (A naive base there makes dateparser take it for UTC when it checks the latter.)
        wall = _read_wall_clock(phrase, now.astimezone(wall.tzinfo)) or wall
        return wall.astimezone(UTC)
    # A wall time that does not exist (skipped by a DST jump) is refused rather than shifted to a
    # time the person never said. One the clocks show twice (01:30 as they go back) means the
    # first, unless that one has just gone by: at 01:15 the second time round, "1:30am" is a
    # quarter of an hour away.
    return _placed(wall, tz, now)


def _read_wall_clock(phrase: str, base: datetime) -> datetime | None:
    """dateparser's reading of `phrase` from `base`, the clock's "now": naive, or aware when the
    phrase names a zone. None when it can't read it."""
    wall = _dateparser(phrase, base)
    tomorrow = base.date() + timedelta(days=1)
    if wall is not None and tomorrow.day == 1 and wall.timetuple()[:3] == (tomorrow.year, base.month, 1):
        # dateparser moves a clock time already gone today ("3pm" at 16:00) on to tomorrow, but
        # on a month's last day then sets this month back: Oct 31 -> Oct 1, Dec 31 -> Dec 1 of
        # next year. Read it again from the start of tomorrow, where nothing needs moving; a
        # phrase that names its date reads the same from there.
        wall = _dateparser(phrase, datetime.combine(tomorrow, time(), base.tzinfo)) or wall
    return wall


def _dateparser(phrase: str, relative_base: datetime) -> datetime | None:
    settings = dict(_DATEPARSER_SETTINGS, RELATIVE_BASE=relative_base)
    try:
        return dateparser.parse(phrase, languages=["en"], settings=settings)
    except (ValueError, OverflowError, TypeError):
        return None


def _local(moment: datetime, tz_name: str | None) -> str:
    try:
        return moment.astimezone(zone(tz_name)).strftime("%a %b %d %H:%M %Z")
    except OverflowError:  # "jan 1 0001 00:00 UTC" has no local time west of UTC
        return moment.strftime("%a %b %d %Y %H:%M UTC")


def warm_up() -> None:
    """dateparser loads its language data on first use (about a second): do it at start-up,
    not inside someone's slash command."""
    dateparser.parse("tomorrow 3pm", languages=["en"], settings=dict(_DATEPARSER_SETTINGS))
