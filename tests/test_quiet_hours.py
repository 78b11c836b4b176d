"""Quiet hours are opt-in, and when they apply nobody is misled (issue "A real team's first day").

- With WORKING_HOURS unset (the default) an escalation goes when it is due, at any hour.
- Someone may opt in for themself with `/case hours`; an operator for everyone with WORKING_HOURS.
- When quiet hours hold a level back, the plan on the promise says when each level really goes,
  the owner is told (once per level) that it waits, and the levels still go in order, the
  channel last, never skipped.

Driven as Slack drives the bot, with the test clock moved by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import workhours
from bot.app.settings import Settings
from tests.conftest import make_settings
from tests.test_escalation_chain import at, channel_escalations, escalations, promise, thread

# Friday 2026-11-27, 17:00 UTC: 18:00 in Berlin, 12:00 in New York.
FRIDAY_EVENING_IN_BERLIN = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
# Monday 09:00 in Berlin, and 09:00 in New York.
MONDAY_9_BERLIN = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
MONDAY_9_NEW_YORK = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def token(moment: datetime) -> str:
    """How a time appears in a message: a Slack date token, read in each reader's own zone."""
    return f"<!date^{int(moment.timestamp())}^"


def waiting_notes(agent) -> list:
    return [m for m in agent.dms() if "next working hour" in m.all_text()]


def users_asked_about(slack) -> set[str]:
    return {call.params.get("user") for call in slack.calls("users.info")}


@pytest.mark.backend_independent
def test_working_hours_are_opt_in_for_the_deployment():
    env = {"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s"}
    assert Settings.from_env(env).working_hours is None
    assert Settings.from_env({**env, "WORKING_HOURS": ""}).working_hours is None
    assert str(Settings.from_env({**env, "WORKING_HOURS": "mon-fri 08:00-16:00"}).working_hours) == (
        "mon-fri 08:00-16:00"
    )


def test_without_working_hours_a_night_time_miss_reaches_the_manager_when_due(
    agent, manager, slack, bot, clock
):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    clock.set(datetime(2026, 11, 27, 22, 0, tzinfo=UTC))  # Friday, 23:00 in Berlin
    confirmation = promise(agent, case, when="in 1 hour").text  # due at midnight in Berlin
    assert "if missed, at" in confirmation and "it escalates to <@UMGR>" in confirmation
    assert "working hour" not in confirmation
    at(clock, bot, hours=1)
    assert len(escalations(manager)) == 1
    assert len(thread(slack, case, "escalated to <@UMGR>")) == 1
    assert waiting_notes(agent) == []
    # Nobody's working hours matter, so nobody's time zone was looked up for them.
    assert "UMGR" not in users_asked_about(slack)


def test_someone_opts_into_quiet_hours_with_their_own(agent, manager, slack, bot, clock):
    assert "whenever they are due" in manager.command("hours").text
    answer = manager.command("hours mon-fri 09:00-17:00")
    assert answer.ephemeral and "mon-fri 09:00-17:00" in answer.text
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    clock.set(FRIDAY_EVENING_IN_BERLIN)
    confirmation = promise(agent, case, when="in 1 hour").text
    assert f"<@UMGR> at {token(MONDAY_9_BERLIN)}" in confirmation
    assert "<@UMGR>'s next working hour (Mon 09:00 Europe/Berlin)" in confirmation
    at(clock, bot, hours=1)
    assert escalations(manager) == []

    # Back to the team's default (none): the next miss goes when due.
    assert "no quiet hours" in manager.command("hours default").text
    confirmation = promise(agent, case, when="in 1 hour", what="send the label").text
    assert "working hour" not in confirmation
    at(clock, bot, hours=1)
    assert [("send the label" in m.all_text()) for m in escalations(manager)] == [True]


class TestWorkingHoursForEveryone:
    """WORKING_HOURS mon-fri 09:00-17:00, each on their own clock: Maria in Berlin, her manager
    Bo in New York."""

    @pytest.fixture
    def bot_settings(self, slack, database_url):
        return make_settings(slack, database_url, working_hours=workhours.parse("mon-fri 09:00-17:00"))

    @pytest.fixture
    def boss(self, agent, manager, person):
        bo = person("UBOSS", "bo", tz="America/New_York")
        agent.names_manager("UMGR")
        manager.names_manager("UBOSS")
        return bo

    def test_the_plan_says_when_each_level_really_goes_and_it_does(
        self, agent, manager, boss, slack, bot, clock
    ):
        case = agent.open_case("Acme Corp: refund not received")
        clock.set(FRIDAY_EVENING_IN_BERLIN)
        confirmation = promise(agent, case, when="in 1 hour").text  # due Friday 19:00 in Berlin
        # Maria on Monday morning, Bo when New York starts work, the channel 30m after Bo.
        assert f"<@UMGR> at {token(MONDAY_9_BERLIN)}" in confirmation
        assert "<@UMGR>'s next working hour (Mon 09:00 Europe/Berlin)" in confirmation
        assert f"then <@UBOSS> at {token(MONDAY_9_NEW_YORK)}" in confirmation
        assert "<@UBOSS>'s next working hour (Mon 09:00 America/New_York)" in confirmation
        assert "then this channel after 30m unacknowledged" in confirmation
        assert "keep the customer posted" in confirmation
        [note] = thread(slack, case, "Promise by <@UAGENT>")
        assert f"<@UMGR> at {token(MONDAY_9_BERLIN)}" in note.all_text()
        assert f"then <@UBOSS> at {token(MONDAY_9_NEW_YORK)}" in note.all_text()

        at(clock, bot, hours=1)  # missed
        clock.set(MONDAY_9_BERLIN.replace(minute=0, hour=7, second=59))
        at(clock, bot)
        assert (escalations(manager), escalations(boss), channel_escalations(slack, case)) == ([], [], [])
        clock.set(MONDAY_9_BERLIN)
        at(clock, bot)
        assert len(escalations(manager)) == 1 and escalations(boss) == []
        clock.set(MONDAY_9_NEW_YORK.replace(hour=13, minute=59))
        at(clock, bot)
        assert escalations(boss) == []
        clock.set(MONDAY_9_NEW_YORK)
        at(clock, bot)
        assert len(escalations(boss)) == 1 and channel_escalations(slack, case) == []
        at(clock, bot, minutes=30)
        assert len(channel_escalations(slack, case)) == 1

    def test_the_owner_is_told_once_for_each_level_that_waits(self, agent, manager, boss, slack, bot, clock):
        case = agent.open_case("Acme Corp: refund not received")
        clock.set(FRIDAY_EVENING_IN_BERLIN)
        promise(agent, case, when="in 1 hour")
        at(clock, bot, hours=1)
        [waiting] = waiting_notes(agent)
        text = waiting.all_text()
        assert "Your missed promise" in text and case.ref in text
        assert f"will reach <@UMGR> at {token(MONDAY_9_BERLIN)}" in text
        assert "(Mon 09:00 Europe/Berlin)" in text and "Keep the customer posted" in text
        for day in (28, 29):  # the weekend passes
            clock.set(datetime(2026, 11, day, 12, 0, tzinfo=UTC))
            at(clock, bot)
        assert len(waiting_notes(agent)) == 1

        clock.set(MONDAY_9_BERLIN)
        at(clock, bot)
        at(clock, bot, minutes=30)  # Bo's level falls due at 03:30 in New York: it waits too
        notes = waiting_notes(agent)
        assert len(notes) == 2
        assert f"will reach <@UBOSS> at {token(MONDAY_9_NEW_YORK)}" in notes[1].all_text()
        at(clock, bot, minutes=30)
        assert len(waiting_notes(agent)) == 2

    def test_a_kept_promise_tells_nobody_that_it_waits(self, agent, manager, boss, slack, bot, clock):
        case = agent.open_case("Acme Corp: refund not received")
        clock.set(FRIDAY_EVENING_IN_BERLIN)
        promise(agent, case, when="in 1 hour")
        at(clock, bot, minutes=30)
        agent.command(f"done {case.ref}")
        at(clock, bot, hours=1)
        assert waiting_notes(agent) == []
