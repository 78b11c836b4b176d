"""Snooze on a reminder (issue 17): a choice of how long, and never landing after the due time.
With the default REMINDER_LEAD of 15 minutes a fixed 15-minute snooze brought the reminder back
together with the escalation; now a choice that would land too late is not offered, or is cut
to 5 minutes before the due time, and the answer says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.new_times import Snooze
from handlers.ids import ActionId
from handlers.views.snooze import LABELS
from tests.conftest import make_settings


def reminders(who):
    return [m for m in who.dms() if m.text.startswith("Reminder:")]


def snooze_options(message) -> list[str]:
    return [
        option["text"]["text"]
        for block in message.blocks or []
        if block.get("type") == "actions"
        for element in block["elements"]
        if element.get("action_id") == ActionId.REMINDER_SNOOZE.value
        for option in element["options"]
    ]


def tick(clock, bot, **delta):
    clock.advance(**delta)
    bot.tick()
    bot.tick()


def test_with_the_default_lead_the_snooze_comes_back_before_the_escalation(agent, manager, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 1 hour: call back")  # reminded 15 minutes ahead
    tick(clock, bot, minutes=45)
    [reminder] = reminders(agent)
    # 15 minutes, an hour, tomorrow: all after the due time. What is offered lands before it.
    assert snooze_options(reminder) == [LABELS[Snooze.LAST_CALL]]
    agent.click(reminder, ActionId.REMINDER_SNOOZE.value, option=LABELS[Snooze.LAST_CALL])
    tick(clock, bot, minutes=9)
    assert len(reminders(agent)) == 1
    tick(clock, bot, minutes=1)  # 5 minutes before it's due: back, and nobody above told yet
    assert len(reminders(agent)) == 2 and manager.dms() == []
    tick(clock, bot, minutes=5)
    assert len(manager.dms()) == 1


def test_too_close_to_the_due_time_it_is_neither_offered_nor_done(agent, slack, bot, clock):
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 1 hour: call back")
    tick(clock, bot, minutes=45)
    [reminder] = reminders(agent)
    clock.advance(minutes=12)  # due in 3 minutes; the reminder still shows the menu
    agent.click(reminder, ActionId.REMINDER_SNOOZE.value, option=LABELS[Snooze.LAST_CALL])
    assert "too close to snooze" in slack.responses[-1].all_text()
    tick(clock, bot, minutes=30)
    assert len(reminders(agent)) == 1


class TestRemindedAnHourAhead:
    @pytest.fixture
    def bot_settings(self, slack, database_url):
        return make_settings(slack, database_url, reminder_lead=timedelta(hours=1))

    def test_a_choice_that_would_land_after_the_due_time_is_cut_and_says_so(self, agent, slack, bot, clock):
        case = agent.open_case("Acme: refund")
        agent.command(f"promise {case.ref} in 2 hours: call back")
        tick(clock, bot, minutes=60)
        [reminder] = reminders(agent)
        # An hour would land at the due time: in its place, until shortly before.
        assert snooze_options(reminder) == [LABELS[Snooze.MINUTES_15], LABELS[Snooze.LAST_CALL]]
        tick(clock, bot, minutes=48)  # due in 12 minutes: 15 is too long now
        agent.click(reminder, ActionId.REMINDER_SNOOZE.value, option=LABELS[Snooze.MINUTES_15])
        said = slack.message(reminder.channel, reminder.ts).all_text()
        assert "5m before it's due" in said and "cut it short" in said
        tick(clock, bot, minutes=6)
        assert len(reminders(agent)) == 1
        tick(clock, bot, minutes=1)
        assert len(reminders(agent)) == 2


class TestRemindedTwoDaysAhead:
    @pytest.fixture
    def bot_settings(self, slack, database_url):
        return make_settings(slack, database_url, reminder_lead=timedelta(days=2))

    def test_until_tomorrow_is_nine_on_the_owners_clock(self, agent, slack, bot, clock):
        case = agent.open_case("Acme: refund")
        agent.command(f"promise {case.ref} in 3 days: send the contract")
        tick(clock, bot, days=1)
        [reminder] = reminders(agent)
        assert LABELS[Snooze.TOMORROW] in snooze_options(reminder)
        agent.click(reminder, ActionId.REMINDER_SNOOZE.value, option=LABELS[Snooze.TOMORROW])
        # Alex is in New York: 9:00 there tomorrow.
        local = clock.now().astimezone(ZoneInfo("America/New_York"))
        nine = datetime(local.year, local.month, local.day, 9, tzinfo=local.tzinfo) + timedelta(days=1)
        assert f"<!date^{int(nine.timestamp())}^" in slack.message(reminder.channel, reminder.ts).all_text()
        clock.advance(nine.astimezone(UTC) - clock.now() - timedelta(minutes=1))
        bot.tick()
        assert len(reminders(agent)) == 1
        tick(clock, bot, minutes=1)
        assert len(reminders(agent)) == 2
