"""One way to write a time, everywhere one is asked for: due times (`eod`, `in 2 business days`
on the owner's working hours), durations compact or in words, times of day in every form,
`/case hours`, `/case digest`, `/case report`'s window and the operator CLIs' --since/--until.
Properties of the readers first (hypothesis), then the same words through the running bot."""

import csv
import io
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from bot import durations, moments, weekly, workhours
from bot.clocktime import parse_clock
from bot.errors import CaseError
from bot.timeparse import parse_when
from tests.processes import bot_env
from tests.test_properties import zone_and_now

PROPERTIES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
pure = pytest.mark.backend_independent

UNIT_WORDS = {
    "s": ["s", "sec", "secs", "second", "seconds"],
    "m": ["m", "min", "mins", "minute", "minutes"],
    "h": ["h", "hr", "hrs", "hour", "hours"],
    "d": ["d", "day", "days"],
    "w": ["w", "wk", "week", "weeks"],
}
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


# ---- durations ---------------------------------------------------------------------------------


@pure
@PROPERTIES
@given(
    st.lists(st.tuples(st.integers(0, 500), st.sampled_from(sorted(UNIT_WORDS))), min_size=1, max_size=4),
    st.data(),
)
@example([(2, "h"), (30, "m")], None)
def test_a_duration_reads_the_same_compact_or_in_words(parts, data):
    expected = timedelta(seconds=sum(amount * SECONDS[unit] for amount, unit in parts))
    compact = "".join(f"{amount}{unit}" for amount, unit in parts)
    assert durations.parse(compact) == expected
    if data is None:
        words = "2 hours and 30 minutes"
    else:
        joiners = [data.draw(st.sampled_from([" ", " and ", ", "])) for _ in parts[1:]]
        spoken = [f"{amount} {data.draw(st.sampled_from(UNIT_WORDS[unit]))}" for amount, unit in parts]
        words = spoken[0] + "".join(j + s for j, s in zip(joiners, spoken[1:], strict=True))
    assert durations.parse(words) == expected


@pure
@pytest.mark.parametrize("text", ["", "soon", "2", "h", "2 hours and", "-5m", "half an hour", "2 fortnights"])
def test_what_is_not_a_duration_is_refused(text):
    with pytest.raises(ValueError):
        durations.parse(text)


# ---- times of day, /case hours, /case digest ---------------------------------------------------


@st.composite
def spoken_clock(draw):
    """A time of day and every way people write it."""
    hour, minute = draw(st.integers(0, 23)), draw(st.sampled_from([0, 5, 15, 30, 45, 59]))
    twelve, half = hour % 12 or 12, "am" if hour < 12 else "pm"
    forms = [f"{hour:02d}:{minute:02d}", f"{hour}:{minute:02d}", f"{twelve}:{minute:02d}{half}"]
    forms += [f"{twelve}:{minute:02d} {half.upper()}", f"{twelve}:{minute:02d} {half[0]}.m."]
    if minute == 0:
        forms += [f"{twelve}{half}", f"{twelve} {half}"]
    return time(hour, minute), draw(st.sampled_from(forms))


@pure
@PROPERTIES
@given(spoken_clock(), spoken_clock(), st.sampled_from(["mon", "friday", "SUN"]))
@example((time(9, 0), "9am"), (time(17, 0), "5pm"), "mon")
def test_a_time_of_day_reads_the_same_in_hours_digests_and_everywhere(start, end, day):
    (start_at, start_said), (end_at, end_said) = start, end
    assert parse_clock(start_said) == start_at
    assert weekly.parse(f"{day} {start_said}").at == start_at
    assume(start_at != end_at)
    hours = workhours.parse(f"mon-fri {start_said}-{end_said}")
    assert (hours.start, hours.end) == (start_at, end_at)
    assert workhours.parse(f"mon-fri {start_said} to {end_said}") == hours


# ---- eod and business days ----------------------------------------------------------------------

HOURS = st.sampled_from(
    [
        "mon-fri 09:00-17:00",
        "mon-sat 08:30-18:00",
        "sun-thu 22:00-06:00",
        "tue,thu 10:00-14:00",
        "mon-sun 00:00-24:00",
    ]
)


@pure
@PROPERTIES
@given(zone_and_now(), HOURS)
def test_eod_is_the_end_of_the_next_working_day_still_to_come(zone_now, hours_text):
    tz_name, now = zone_now
    hours, tz = workhours.parse(hours_text), ZoneInfo(tz_name)
    try:
        due = parse_when("eod", tz_name, now, hours=hours)
    except CaseError as error:
        assert "does not exist" in str(error)  # a working day ending in a DST gap
        return
    local = due.astimezone(tz)
    assert due > now and local.time().replace(fold=0) == hours.end
    # It ends a shift that started on a working day, and no working day ends sooner.
    ends = local.date() - timedelta(days=1 if hours.end <= hours.start else 0)
    assert ends.weekday() in hours.days
    day = now.astimezone(tz).date() - timedelta(days=1)
    while day < ends:
        if day.weekday() in hours.days:
            shift_end = datetime.combine(day, hours.end, tzinfo=tz) + timedelta(days=hours.end <= hours.start)
            assert shift_end.astimezone(UTC) <= now, (day, shift_end)
        day += timedelta(days=1)


@pure
@PROPERTIES
@given(zone_and_now(), HOURS, st.integers(1, 20))
def test_business_days_count_working_days_only_and_keep_the_time_of_day(zone_now, hours_text, count):
    tz_name, now = zone_now
    hours, tz = workhours.parse(hours_text), ZoneInfo(tz_name)
    try:
        due = parse_when(f"in {count} business days", tz_name, now, hours=hours)
    except CaseError as error:
        assert "does not exist" in str(error) or "more than a year" in str(error)
        return
    start, end = now.astimezone(tz), due.astimezone(tz)
    assert end.replace(tzinfo=None).time() == start.replace(tzinfo=None).time()
    assert end.date().weekday() in hours.days
    between = (start.date() + timedelta(days=n) for n in range(1, (end.date() - start.date()).days + 1))
    assert sum(day.weekday() in hours.days for day in between) == count


@pure
def test_eod_is_read_on_working_hours_and_not_on_the_customers_clock():
    now = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # a Friday, 09:00 in New York
    hours = workhours.parse("mon-fri 09:00-17:00")
    at_five = datetime(2026, 11, 27, 22, 0, tzinfo=UTC)
    for said in ("eod", "EOD", "end of day", "by end of business", "cob", "today eod", "friday eod"):
        assert parse_when(said, "America/New_York", now, hours=hours) == at_five, said
    assert parse_when("eod monday", "America/New_York", now, hours=hours) == at_five + timedelta(days=3)
    assert parse_when("in 1 business day", "America/New_York", now, hours=hours) == now + timedelta(days=3)
    # Nobody set working hours: the working day is still the usual one, mon-fri 09:00-17:00.
    assert parse_when("eod", "America/New_York", now) == at_five
    assert parse_when("in 1 business day", "America/New_York", now) == now + timedelta(days=3)
    with pytest.raises(CaseError, match="counted on your own working hours"):
        parse_when("eod customer time", "America/New_York", now, "Europe/Berlin", hours=hours)


# ---- looking back: /case report, --since, --until -------------------------------------------------


@pure
@PROPERTIES
@given(
    st.integers(1, 365),
    st.sampled_from(["{}d", "{} days", "last {} days", "{} days ago", "the past {} days"]),
)
def test_a_window_back_is_as_long_whatever_the_words(days, form):
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    said = form.format(days)
    assert moments.parse_since(said, now) == now - timedelta(days=days)
    window = moments.parse_window(said, now, tz="UTC", hours=None)
    assert window.label == f"last {days} day{'s' if days != 1 else ''}"


@pure
def test_days_and_dates_start_at_midnight_on_the_readers_clock():
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 in New York
    new_york = {"tz": "America/New_York"}
    monday = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    assert moments.parse_since("monday", now, **new_york) == monday
    assert moments.parse_since("since mon", now, **new_york) == monday
    assert moments.parse_since("yesterday", now, **new_york) == monday + timedelta(days=1)
    assert moments.parse_since("wednesday", now, **new_york) == monday + timedelta(days=2)
    assert moments.parse_since("2026-11-01", now) == datetime(2026, 11, 1, tzinfo=UTC)
    assert moments.parse_since("2026-11-01T09:00+01:00", now) == datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    assert moments.parse_until("now", now) == now
    hours = workhours.parse("mon-fri 09:00-17:00")
    assert moments.parse_since("5 business days", now, hours=hours) == now - timedelta(days=7)
    assert moments.parse_since("5 business days", now) == now - timedelta(days=7)
    sundays_off = workhours.parse("mon-sat 09:00-17:00")
    assert moments.parse_since("6 business days", now, hours=sundays_off) == now - timedelta(days=7)
    for said, why in (
        ("tomorrow", "still to come"),
        ("0d", "no time at all"),
        ("3x", "is neither a length of time"),
        ("2026-02-30", "not a real date"),
    ):
        with pytest.raises(moments.MomentError, match=why):
            moments.parse_since(said, now)


# ---- the same words, through the bot ---------------------------------------------------------------


def test_eod_and_business_days_in_promises_follow_the_owners_own_hours(agent, slack, bot, clock):
    # Monday 14:00 UTC: 09:00 for alex in New York, who works 9 to 5 on weekdays.
    assert "mon-fri 09:00-17:00" in agent.command("hours mon-fri 9am-5pm").text
    case = agent.open_case("Acme: parcel")
    five_pm = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    made = agent.command(f"promise {case.ref} eod: send the tracking number")
    assert f"<!date^{int(five_pm.timestamp())}^" in made.text
    made = agent.command(f"promise {case.ref} in 5 business days: call back")
    assert f"<!date^{int((clock.now() + timedelta(days=7)).timestamp())}^" in made.text
    # The same words in a thread reply and in a reschedule.
    agent.reply(case, "promise tomorrow eod: refund the postage")
    assert any("refund the postage" in m.all_text() for m in slack.thread(case.channel, case.card_ts))
    asked = agent.command(f"reschedule {case.ref} friday eod: courier delayed")
    assert "Which promise gets the new time?" in asked.text
    friday_five = int((five_pm + timedelta(days=4)).timestamp())
    assert agent.command(f"promise {case.ref} eod friday: pay the refund").text.count(
        f"<!date^{friday_five}^"
    )


def test_reports_and_digests_take_the_same_words(agent, manager, slack, bot):
    agent.names_manager("UMGR")
    assert "fri 16:30" in manager.command("digest friday 4:30pm").text
    for said, title in (
        ("report 2 weeks", "Report, last 14 days"),
        ("report since monday", "Report, since monday"),
        ("report last week", "Report, last 7 days"),
        ("report 36h", "Report, last 36 hours"),
        ("report 5 business days", "Report, last 5 business days"),
    ):
        assert title in manager.command(said).text, said


def run_cli(database_url, tmp_path, *args):
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=bot_env(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_operator_clis_take_the_same_words(agent, bot, database_url, tmp_path):
    agent.open_case("Acme: parcel")
    done = run_cli(
        database_url, tmp_path, "report", "--since", "2 weeks", "--until", "today", "--format", "csv"
    )
    assert done.returncode == 0, done.stderr
    row = next(csv.DictReader(io.StringIO(done.stdout)), None)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert row is None or (row["since"], row["until"]) == (
        (today - timedelta(days=14)).isoformat(),
        today.isoformat(),
    )
    exported = run_cli(database_url, tmp_path, "export", "--all", "--since", "3 business days")
    assert exported.returncode == 0, exported.stderr
    refused = run_cli(database_url, tmp_path, "export", "--all", "--since", "tomorrow")
    assert refused.returncode == 2 and "--since 'tomorrow' is still to come" in refused.stderr
