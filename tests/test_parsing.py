"""Pure parsing: the /case grammar, promise replies, due times and durations."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import durations
from bot.app.settings import Settings, SettingsError
from bot.errors import CaseError
from bot.timeparse import parse_when
from handlers.parse import (
    CloseCase,
    Help,
    KeepPromise,
    MakePromise,
    OpenCase,
    OpenCaseModal,
    SetManager,
    parse_case_command,
    parse_promise_reply,
)

# Nothing here depends on which database is behind the bot: run once, on SQLite.
pytestmark = pytest.mark.backend_independent

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # 08:00 in New York, a Monday
NEW_YORK = ZoneInfo("America/New_York")


def test_open_splits_customer_and_summary():
    assert parse_case_command("open Acme Corp: refund not received") == OpenCase(
        "Acme Corp", "refund not received"
    )
    assert parse_case_command("open refund not received") == OpenCase(None, "refund not received")
    assert parse_case_command("open") == OpenCaseModal()


def test_promise_keeps_clock_times_with_colons():
    request = parse_case_command("promise CASE-7 friday 10:00: call back: with tracking")
    assert request == MakePromise(case_id=7, when="friday 10:00", what="call back: with tracking")
    assert parse_case_command("promise case-12 in 2 hours: email") == MakePromise(12, "in 2 hours", "email")


def test_other_subcommands():
    assert parse_case_command("done CASE-3") == KeepPromise(3)
    assert parse_case_command("close CASE-3 refunded in full") == CloseCase(3, "refunded in full")
    assert parse_case_command("manager <@UMGR|maria>") == SetManager("UMGR")
    assert parse_case_command("manager") == SetManager(None)
    assert parse_case_command("") == Help()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("frobnicate CASE-1", "I don't know `/case frobnicate`"),
        ("promise CASE-1 tomorrow", "Say when and what"),
        ("promise 7x tomorrow: call", "is not a case reference"),
        ("promise", "Which case?"),
        ("done CASE-1 now please", "takes nothing after the case"),
        ("manager maria", "Mention one person"),
        ("open Acme:", "Add a summary after the colon"),
        ("open " + "x" * 5000, "characters long"),
    ],
)
def test_bad_commands_say_what_is_wrong(text, fragment):
    with pytest.raises(CaseError, match=None) as raised:
        parse_case_command(text)
    assert fragment in str(raised.value)


def test_promise_reply():
    assert parse_promise_reply("Called, left voicemail") is None
    reply = parse_promise_reply("promise in 2 hours: email the refund receipt")
    assert (reply.when, reply.what) == ("in 2 hours", "email the refund receipt")
    with pytest.raises(CaseError, match="Say when and what"):
        parse_promise_reply("promise soon")


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("tomorrow 3pm", datetime(2026, 11, 24, 15, 0)),
        ("friday 10:00", datetime(2026, 11, 27, 10, 0)),
        ("3pm", datetime(2026, 11, 23, 15, 0)),
    ],
)
def test_calendar_phrases_read_on_the_owners_wall_clock(text, local):
    assert parse_when(text, "America/New_York", NOW) == local.replace(tzinfo=NEW_YORK).astimezone(UTC)


def test_a_clock_time_already_passed_today_means_tomorrow():
    # 08:00 in New York: "7am" can only be a promise for tomorrow; the confirmation echoes the date.
    assert parse_when("7am", "America/New_York", NOW) == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_durations_count_from_utc_now():
    assert parse_when("in 2 minutes", "Asia/Tokyo", NOW) == NOW + timedelta(minutes=2)
    assert parse_when("in 1 hour 30 minutes", None, NOW) == NOW + timedelta(minutes=90)
    assert parse_when("2h", "UTC", NOW) == NOW + timedelta(hours=2)


def test_duration_across_dst_is_exact():
    # 2026-11-01 06:00 UTC is 01:00 EST, just after New York's clocks went back.
    before_change = datetime(2026, 11, 1, 4, 30, tzinfo=UTC)
    assert parse_when("in 2 hours", "America/New_York", before_change) == before_change + timedelta(hours=2)


def test_wall_clock_time_after_dst_change():
    # Saturday 2026-10-31 is EDT (UTC-4); "tomorrow 9am" falls on Sunday after the change: EST (UTC-5).
    saturday = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert parse_when("tomorrow 9am", "America/New_York", saturday) == datetime(
        2026, 11, 1, 14, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("yesterday", "in the past"),
        ("call back", "can't read"),
        ("", "Say when"),
        ("last monday", "in the past"),
    ],
)
def test_bad_times_are_refused_with_a_reason(text, fragment):
    with pytest.raises(CaseError) as raised:
        parse_when(text, "America/New_York", NOW)
    assert fragment in str(raised.value)


def test_durations_in_settings():
    assert durations.parse("90s") == timedelta(seconds=90)
    assert durations.parse("1h30m") == timedelta(minutes=90)
    with pytest.raises(ValueError):
        durations.parse("soon")


def test_bad_setting_names_itself():
    with pytest.raises(SettingsError, match="REMINDER_LEAD"):
        Settings.from_env({"REMINDER_LEAD": "fifteen"})
    with pytest.raises(SettingsError, match="PORT"):
        Settings.from_env({"PORT": "http"})
    settings = Settings.from_env(
        {"DATABASE_URL": "postgresql://u@h/db", "SLACK_API_URL": "http://127.0.0.1:9/api"}
    )
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.api_url.endswith("/")


def test_admin_users_and_claim_lease_are_checked_at_start():
    with pytest.raises(SettingsError, match=r'ADMIN_USERS has "maria": write each admin as a Slack user id'):
        Settings.from_env({"ADMIN_USERS": "U123ABC, maria"})
    with pytest.raises(SettingsError, match=r"CLAIM_LEASE must be at least 15s"):
        Settings.from_env({"CLAIM_LEASE": "5s"})
    settings = Settings.from_env({"ADMIN_USERS": "U123ABC, W456DEF", "CLAIM_LEASE": "2m"})
    assert settings.admins == {"U123ABC", "W456DEF"} and settings.claim_lease == timedelta(minutes=2)
