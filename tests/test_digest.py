"""The weekly digest: each manager gets one DM with their team's report at their chosen moment
on their own clock, never before, never twice (a second tick, a second worker, a restart), and
never when they turned it off. `/case digest` shows and changes the moment. The numbers are
checked against the seeded team's own record (tests/report_world.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import team as people
from bot.app.worker import Worker
from bot.clock import ManualClock
from tests import report_world as world_of
from tests.conftest import RunningBot

# Thursday 12 November 2026; the seeded team works until Thursday the 26th, noon UTC.
BEGIN = datetime(2026, 11, 12, 0, 0, tzinfo=UTC)
SEEDED_UNTIL = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
# UM2 (Los Angeles) asks for Friday 16:30: 00:30 UTC on Saturday the 28th.
UM2_DIGEST = datetime(2026, 11, 28, 0, 30, tzinfo=UTC)
# UM1 (Berlin) keeps the default, Monday 09:00: 08:00 UTC on the 30th.
UM1_DIGEST = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
TITLE = "Your weekly digest"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(BEGIN)


@pytest.fixture
def team(person: Any) -> dict[str, Any]:
    people = {
        "UM1": person("UM1", "mia", tz="Europe/Berlin"),
        "UM2": person("UM2", "max", tz="America/Los_Angeles"),
        "UDIR": person("UDIR", "dora", tz="America/New_York"),
    }
    for user in ("UA1", "UA2", "UA3", "UA4", "UA5", "UA6"):
        people[user] = person(user, user.lower(), tz="Europe/London")
    return people


def digests_to(slack: Any, user: str) -> list[Any]:
    return [m for m in slack.dms_to(user) if TITLE in m.all_text()]


def run_housekeeping(bot: Any, worker: Worker) -> int:
    """What the worker does each minute: enqueue due digests, then the dispatcher's pass."""
    made = worker.send_digests()
    bot.tick()
    return made


def test_each_manager_gets_one_digest_at_their_own_time(team, bot, clock, slack, bot_settings):
    world = world_of.plan_and_seed(bot, clock, seed=112026, start=BEGIN, end=SEEDED_UNTIL, case_count=90)
    assert "Your weekly digest now comes fri 16:30" in team["UM2"].command("digest fri 16:30").text
    assert "No more weekly digests" in team["UDIR"].command("digest off").text
    shown = team["UM1"].command("digest").text
    assert "mon 09:00" in shown and "the team's default" in shown
    worker = Worker(bot.services)

    assert run_housekeeping(bot, worker) == 0
    clock.set(UM2_DIGEST - timedelta(minutes=1))
    assert run_housekeeping(bot, worker) == 0
    assert not any(digests_to(slack, user) for user in ("UM1", "UM2", "UDIR"))

    clock.set(UM2_DIGEST)
    assert run_housekeeping(bot, worker) == 1
    (digest,) = digests_to(slack, "UM2")
    assert abs(float(digest.ts) - UM2_DIGEST.timestamp()) < 1
    expected = world_of.expected_view(
        world,
        "T1",
        {"UM2", "UA4", "UA5"},
        UM2_DIGEST - timedelta(days=7),
        UM2_DIGEST,
        UM2_DIGEST,
        timedelta(days=7),
    )
    world_of.check_view({"blocks": digest.blocks}, expected)
    assert "<@UA1>" not in digest.all_text()

    # Again a minute later, from a second worker process sharing the database, and after that
    # one restarts: still one.
    clock.advance(minutes=1)
    assert run_housekeeping(bot, worker) == 0
    second = RunningBot(bot_settings, clock)
    try:
        assert run_housekeeping(second, Worker(second.services)) == 0
        second.stop()
        second = RunningBot(bot_settings, clock)
        clock.advance(hours=3)
        assert run_housekeeping(second, Worker(second.services)) == 0
    finally:
        second.stop()
    assert len(digests_to(slack, "UM2")) == 1

    clock.set(UM1_DIGEST - timedelta(minutes=1))
    assert run_housekeeping(bot, worker) == 0
    assert not digests_to(slack, "UM1")
    clock.set(UM1_DIGEST + timedelta(seconds=20))
    assert run_housekeeping(bot, worker) == 1
    (digest,) = digests_to(slack, "UM1")
    now = clock.now()
    expected = world_of.expected_view(
        world,
        "T1",
        {"UM1", "UA1", "UA2", "UA3"},
        UM1_DIGEST - timedelta(days=7),
        UM1_DIGEST,
        now,
        timedelta(days=7),
    )
    world_of.check_view({"blocks": digest.blocks}, expected)

    # A week on: the director turned it off; the others get next week's, one each.
    clock.set(UM2_DIGEST + timedelta(days=7))
    assert run_housekeeping(bot, worker) == 1
    clock.set(UM1_DIGEST + timedelta(days=7))
    assert run_housekeeping(bot, worker) == 1
    assert run_housekeeping(bot, worker) == 0
    assert len(digests_to(slack, "UM1")) == 2 and len(digests_to(slack, "UM2")) == 2
    assert not digests_to(slack, "UDIR")
    assert not any(digests_to(slack, agent) for agent in ("UA1", "UA4", "UA6"))


def test_a_digest_missed_by_more_than_a_day_is_skipped_and_turning_it_back_on_works(team, bot, clock, slack):
    with bot.db.transaction() as session:
        people.set_manager(session, team_id="T1", user_id="UA1", manager_id="UM1", now=clock.now())
    worker = Worker(bot.services)
    assert "No more weekly digests" in team["UM1"].command("digest off").text
    clock.set(UM1_DIGEST)
    assert run_housekeeping(bot, worker) == 0
    # Back on the default an hour later: the 09:00 digest still comes, late but that day.
    clock.advance(hours=1)
    assert "back on the team's digest time: mon 09:00" in team["UM1"].command("digest default").text
    assert run_housekeeping(bot, worker) == 1
    assert len(digests_to(slack, "UM1")) == 1
    # Down for longer than a day over the next one: it is not sent a week late.
    clock.set(UM1_DIGEST + timedelta(days=8, minutes=1))
    assert run_housekeeping(bot, worker) == 0
    assert len(digests_to(slack, "UM1")) == 1


@pytest.mark.parametrize(
    "text, complaint",
    [
        ("digest someday 09:00", "'someday' is not a day of the week"),
        ("digest mon 25:00", "25:00 is not a time of day"),
        ("digest fri", "is not a day and a time"),
        ("digest every friday", "is not a day and a time"),
    ],
)
def test_bad_digest_time_gets_a_specific_message_and_changes_nothing(text, complaint, team, bot):
    assert "fri 16:30" in team["UM2"].command("digest fri 16:30").text
    reply = team["UM2"].command(text)
    assert reply.ephemeral
    assert "`/case digest`" in reply.text and complaint in reply.text, reply.text
    shown = team["UM2"].command("digest").text
    assert "fri 16:30" in shown and "your own" in shown


def test_help_lists_report_and_digest(team, bot):
    text = team["UA1"].command("help").text
    assert "/case report [7d|30d|2 weeks|since monday]" in text and "/case digest fri 16:30" in text


def test_moving_the_digest_within_a_week_does_not_send_a_second_one(team, bot, clock, slack):
    with bot.db.transaction() as session:
        people.set_manager(session, team_id="T1", user_id="UA1", manager_id="UM1", now=clock.now())
    worker = Worker(bot.services)
    clock.set(UM1_DIGEST + timedelta(minutes=1))  # Monday 09:01 in Berlin: this week's came
    assert run_housekeeping(bot, worker) == 1
    # Moved to later the same day, then to Friday: still this week, so nothing more.
    team["UM1"].command("digest mon 10:00")
    clock.advance(hours=1)
    assert run_housekeeping(bot, worker) == 0
    team["UM1"].command("digest fri 16:00")
    clock.set(UM1_DIGEST + timedelta(days=4, hours=8, minutes=1))  # Friday 17:01 in Berlin
    assert run_housekeeping(bot, worker) == 0
    assert len(digests_to(slack, "UM1")) == 1
    # The next week's Friday brings the next one.
    clock.advance(days=7)
    assert run_housekeeping(bot, worker) == 1
    assert len(digests_to(slack, "UM1")) == 2
