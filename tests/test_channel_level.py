"""The last level of every escalation chain, a channel, always hears of a miss nobody
acknowledged, after the managers and never before them, and the case thread says so: when the
managers' levels wait for working hours, when they all fall due together after downtime, and
when the case changes hands after a level went out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import workhours
from tests.conftest import make_settings
from tests.test_escalation_chain import at, channel_escalations, escalations, promise, thread

FRIDAY_EVENING_IN_BERLIN = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
MONDAY_9_BERLIN = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.fixture
def sam(person):
    return person("USAM", "sam")


def test_after_a_handover_to_someone_without_a_manager_the_channel_still_hears_it(
    agent, manager, sam, slack, bot, clock
):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)
    assert len(escalations(manager)) == 1  # level 1 went to Maria
    agent.command(f"reassign {case.ref} <@USAM|sam>")  # Sam has nobody above them
    at(clock, bot, minutes=29)
    assert channel_escalations(slack, case) == []
    at(clock, bot, minutes=1)  # 30m after Maria, unacknowledged: the channel
    assert len(channel_escalations(slack, case)) == 1
    assert "<@USAM> promised" in channel_escalations(slack, case)[0].all_text()
    for _ in range(4):
        at(clock, bot, minutes=30)
    assert len(channel_escalations(slack, case)) == 1 and len(escalations(manager)) == 1


def test_after_a_handover_the_new_owners_manager_hears_it_next_then_the_channel(
    agent, manager, sam, person, slack, bot, clock
):
    dana = person("UDANA", "dana")
    agent.names_manager("UMGR")
    sam.names_manager("UDANA")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)
    agent.command(f"reassign {case.ref} <@USAM|sam>")
    at(clock, bot, minutes=30)
    assert len(escalations(dana)) == 1 and channel_escalations(slack, case) == []
    assert len(thread(slack, case, "escalated to <@UDANA>")) == 1
    at(clock, bot, minutes=30)
    assert len(channel_escalations(slack, case)) == 1
    assert len(escalations(manager)) == 1  # Maria heard once, before the handover


class TestAWaitingChain:
    """WORKING_HOURS mon-fri 09:00-17:00; the chain ends in #support-leads."""

    @pytest.fixture
    def bot_settings(self, slack, database_url):
        slack.set_channel("CESC", name="support-leads")
        return make_settings(
            slack,
            database_url,
            escalation_channel="CESC",
            working_hours=workhours.parse("mon-fri 09:00-17:00"),
        )

    @pytest.fixture
    def boss(self, agent, manager, person):
        bo = person("UBOSS", "bo", tz="Europe/Berlin")
        agent.names_manager("UMGR")
        manager.names_manager("UBOSS")
        return bo

    def test_the_channel_goes_after_the_waiting_managers_and_the_thread_says_so(
        self, agent, manager, boss, slack, bot, clock
    ):
        case = agent.open_case("Acme Corp: refund not received")
        clock.set(FRIDAY_EVENING_IN_BERLIN)
        assert "then <#CESC> after 30m unacknowledged" in promise(agent, case, when="in 1 hour").text
        at(clock, bot, hours=1)
        for day in (28, 29):
            clock.set(datetime(2026, 11, day, 12, 0, tzinfo=UTC))
            at(clock, bot)
        assert slack.messages("CESC") == []
        clock.set(MONDAY_9_BERLIN)
        at(clock, bot)
        at(clock, bot, minutes=30)
        assert (len(escalations(manager)), len(escalations(boss)), slack.messages("CESC")) == (1, 1, [])
        at(clock, bot, minutes=30)
        assert len(slack.messages("CESC")) == 1
        assert len(thread(slack, case, "escalated to <#CESC>")) == 1

    def test_levels_due_together_after_downtime_still_go_in_order(
        self, agent, manager, boss, slack, bot, clock
    ):
        """Nobody ran the bot over the weekend: on Monday at 08:30 in Berlin, before anyone's
        working hours, every level is overdue and claimed together. The channel must not hear
        of it before the managers had their turn."""
        case = agent.open_case("Acme Corp: refund not received")
        clock.set(FRIDAY_EVENING_IN_BERLIN)
        promise(agent, case, when="in 1 hour")
        clock.set(datetime(2026, 11, 30, 7, 30, tzinfo=UTC))  # the bot is back: 08:30 in Berlin
        at(clock, bot)
        assert (escalations(manager), escalations(boss), slack.messages("CESC")) == ([], [], [])
        assert thread(slack, case, "escalated to") == []
        clock.set(MONDAY_9_BERLIN)
        at(clock, bot)
        assert len(escalations(manager)) == 1 and escalations(boss) == [] and slack.messages("CESC") == []
        at(clock, bot, minutes=30)
        assert len(escalations(boss)) == 1 and slack.messages("CESC") == []
        at(clock, bot, minutes=30)
        assert len(slack.messages("CESC")) == 1
        notes = [m.all_text() for m in thread(slack, case, "escalated to")]
        assert [("<@UMGR>" in n, "<@UBOSS>" in n, "<#CESC>" in n) for n in notes] == [
            (True, False, False),
            (False, True, False),
            (False, False, True),
        ]
