"""Looking back: where a report's window or an export starts (and ends), written the same way in
`/case report`, `python -m bot report --since/--until` and `python -m bot export --since`.

    7d  30d  12h  2 weeks  (a length of time back from now: bot/durations.py)
    5 business days        (working days back, on the working hours that apply)
    today  yesterday  monday (the start of that day: the latest Monday, today included)
    2026-11-01  2026-11-01T09:00  2026-11-01T09:00+01:00  (a date, or a date and time)
    since monday  last 2 weeks  30d ago  (the same, with the words people add)

Days and dates are read on a clock: the person's own Slack time zone in Slack, UTC for the
operator's command line (unless the time names its zone). A window never starts in the future."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from bot import durations
from bot.clock import zone
from bot.plurals import counted
from bot.validation import quoted
from bot.workhours import DAYS, USUAL_OFFICE_HOURS, WorkingHours

_BARE_UNITS = ("hour", "day", "week")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_FILLER = re.compile(r"^(?:since|from|the\s+last|last|past|the\s+past)\s+|\s+ago$", re.I)
_BUSINESS_DAYS = re.compile(r"^(?P<count>\d{1,4}|an?|one)\s+(?:business|working|work)\s+days?$", re.I)
_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$", re.I
)
# A window in Slack covers at most this much (the command line has no such limit).
MAX_WINDOW = timedelta(days=366)
_SPANS = "a length of time (7d, 12h, 2 weeks, 5 business days)"
_DAYS = "a day (yesterday, monday, 2026-11-01)"
FORMS = f"{_SPANS} or {_DAYS}"


class MomentError(ValueError):
    """What someone wrote is not a moment to look back to; str() says why, quoting it."""


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime
    # How it reads in a title: "last 7 days", "since monday".
    label: str


def parse_since(text: str, now: datetime, *, tz: str = "UTC", hours: WorkingHours | None = None) -> datetime:
    """Where a window starts: before `now`, or a MomentError saying why not."""
    said = _said(text)
    moment = _moment(said, text, now, tz, hours)
    if moment >= now:
        if moment == now:
            raise MomentError(f"{_shown(text)} is no time at all: a window needs a length, like 7d")
        raise MomentError(f"{_shown(text)} is still to come: a report looks back, like 7d or monday")
    return moment


def _shown(text: str) -> str:
    """Someone's words quoted back in a refusal: short, control characters made visible. Not
    repr(): it would spell a character Python thinks unprintable as \\U0001fbcb, longer than the
    limit and unreadable to the person who typed it."""
    return f"'{quoted(text.strip(), 40)}'"


def parse_until(text: str, now: datetime, *, tz: str = "UTC", hours: WorkingHours | None = None) -> datetime:
    """Where a window ends: `now`, or any moment `parse_since` reads (a day means its start)."""
    said = _said(text)
    if said.lower() == "now":
        return now
    return _moment(said, text, now, tz, hours)


def parse_window(text: str, now: datetime, *, tz: str, hours: WorkingHours | None) -> Window:
    """`/case report`'s window, up to now: the last 7 days when nothing is said."""
    said = _said(text) or "7d"
    since = parse_since(said, now, tz=tz, hours=hours)
    if now - since > MAX_WINDOW:
        raise MomentError(f"{_shown(text)} reaches back more than a year; a report covers at most 366 days")
    return Window(since=since, until=now, label=_label(text, said))


def check(text: str) -> None:
    """Whether `text` is written as a window can be (MomentError if not), before anyone's clock
    is known: the command's ack refuses nonsense at once; the window itself is read later."""
    said = _said(text)
    if not said:
        return
    if _BUSINESS_DAYS.match(said) or _is_day(said):
        return
    # A far-off "now" keeps every date in the past here; whether it is, really, is read later.
    parse_since(text, datetime(9000, 1, 1, tzinfo=UTC), hours=None)


def _said(text: str) -> str:
    said = " ".join((text or "").split())
    # "since last monday" → "monday"; "the last 2 weeks", "30d ago" → "2 weeks", "30d".
    for _ in range(3):
        said = _FILLER.sub("", said)
    # "last week", "the past day": one of them.
    return f"1 {said}" if said.lower() in _BARE_UNITS else said


def _label(text: str, said: str) -> str:
    if _is_day(said) or _DATE.match(said):
        return f"since {said}"
    try:
        span = durations.parse(said)
    except ValueError:
        return f"last {said}"
    if span % timedelta(days=1) == timedelta(0):
        days = span // timedelta(days=1)
        return f"last {counted(days, 'day')}"
    if span % timedelta(hours=1) == timedelta(0):
        return f"last {span // timedelta(hours=1)} hours"
    return f"last {said}"


def _moment(said: str, text: str, now: datetime, tz: str, hours: WorkingHours | None) -> datetime:
    # Echoed as read: runs of whitespace (a line break, a carriage return) are one space.
    shown = quoted(" ".join(text.split()), 40)
    if not said:
        raise MomentError(f"say when, as {FORMS}")
    days = _BUSINESS_DAYS.match(said)
    if days:
        return _business_days_back(days.group("count"), shown, now, tz, hours)
    if _is_day(said):
        return _start_of_day(said.lower(), now, tz)
    if _DATE.match(said):
        return _dated(said, shown, tz)
    try:
        span = durations.parse(said)
    except durations.TooLong:
        raise MomentError(f"'{shown}' reaches back further than any calendar") from None
    except ValueError:
        raise MomentError(f"'{shown}' is neither {_SPANS} nor {_DAYS}") from None
    if not span:
        raise MomentError(f"'{shown}' is no time at all: a window needs a length, like 7d")
    try:
        return now - span
    except OverflowError:
        raise MomentError(f"'{shown}' reaches back further than any calendar") from None


def _is_day(said: str) -> bool:
    return said.lower() in ("today", "yesterday", "tomorrow", *DAYS, *_FULL_DAYS)


def _start_of_day(said: str, now: datetime, tz: str) -> datetime:
    local_zone = zone(tz)
    today = now.astimezone(local_zone).date()
    if said == "today":
        day = today
    elif said == "yesterday":
        day = today - timedelta(days=1)
    elif said == "tomorrow":
        # Read only to be refused as still to come (a window ends now).
        day = today + timedelta(days=1)
    else:
        weekday = (DAYS.index(said) if said in DAYS else _FULL_DAYS.index(said)) % 7
        day = today - timedelta(days=(today.weekday() - weekday) % 7)
    return datetime.combine(day, time(0), tzinfo=local_zone).astimezone(UTC)


def _dated(said: str, shown: str, tz: str) -> datetime:
    try:
        moment = datetime.fromisoformat(said.replace(" ", "T").replace("z", "Z"))
    except ValueError:
        raise MomentError(f"'{shown}' is not a real date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(tz))
    return moment.astimezone(UTC)


def _business_days_back(
    count: str, shown: str, now: datetime, tz: str, hours: WorkingHours | None
) -> datetime:
    """The same time of day, that many working days back."""
    hours = hours or USUAL_OFFICE_HOURS
    wanted = 1 if count.lower() in ("a", "an", "one") else int(count)
    local_zone = zone(tz)
    local = now.astimezone(local_zone)
    day = local.date()
    while wanted > 0:
        day -= timedelta(days=1)
        wanted -= day.weekday() in hours.days
        if (local.date() - day).days > 3660:
            raise MomentError(f"'{shown}' reaches back further than ten years")
    return datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=local_zone).astimezone(UTC)
