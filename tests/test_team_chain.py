"""The manager chain is set by the people who own it (issue "A real team's first day").

- Someone who names their own manager only asks: the manager gets a DM with Accept / Decline,
  and until they accept, the request gives nothing (no escalations, no power over the cases).
- An admin sets anyone's manager; a team lead (anyone with someone reporting to them) moves
  people within their own team; `/case team @alex manager @maria`.
- The admins' Home shows everyone's chain and who has none.

Driven as Slack drives the bot: signed commands, button clicks and Home openings."""

from __future__ import annotations

from dataclasses import replace

import pytest

from handlers.ids import ActionId
from slack_standin import SlackEventsClient, texts_in
from tests.conftest import SIGNING_SECRET, Person, RunningBot, action_ids
from tests.test_escalation_chain import at, channel_escalations, escalations, promise


def requests_to(person) -> list:
    return [m for m in person.slack.dms_to(person.user_id) if ActionId.MANAGER_ACCEPT.value in action_ids(m)]


def told(person, words: str) -> list:
    return [m for m in person.slack.dms_to(person.user_id) if words in m.all_text()]


def answer_of(slack, before: int) -> str:
    return "\n".join(r.all_text() for r in slack.responses[before:])


def test_naming_my_own_manager_asks_them_and_gives_nothing_until_they_accept(
    agent, manager, slack, bot, clock
):
    asked = agent.command("manager <@UMGR|maria>")
    assert asked.ephemeral and "I've asked <@UMGR> to be your manager" in asked.text
    [request] = requests_to(manager)
    assert "<@UAGENT> named you as their manager" in request.all_text()
    assert action_ids(request) == [ActionId.MANAGER_ACCEPT.value, ActionId.MANAGER_DECLINE.value]
    shown = agent.command("manager").text
    assert "You have no manager" in shown and "You asked <@UMGR>" in shown and "haven't accepted" in shown

    case = agent.open_case("Acme Corp: refund not received")
    confirmation = promise(agent, case).text
    assert "<@UMGR> hasn't accepted being <@UAGENT>'s manager yet" in confirmation
    assert "escalates to this channel" in confirmation
    # No power over the case before accepting.
    assert "Only <@UAGENT> (the owner)" in manager.command(f"done {case.ref}").text
    at(clock, bot, minutes=30)
    assert escalations(manager) == [] and len(channel_escalations(slack, case)) == 1

    manager.click(request, ActionId.MANAGER_ACCEPT.value)
    [accepted] = told(agent, "accepted being your manager")
    assert "<@UMGR>" in accepted.all_text()
    redrawn = slack.message(request.channel, request.ts)
    assert action_ids(redrawn) == [] and "Accepted" in redrawn.all_text()
    assert "Your missed promises escalate to <@UMGR>" in agent.command("manager").text

    assert "Kept" in manager.command(f"done {case.ref}").text  # now Maria may
    confirmation = promise(agent, case, what="send the label").text
    assert "it escalates to <@UMGR>" in confirmation and "hasn't accepted" not in confirmation
    at(clock, bot, minutes=30)
    assert [("send the label" in m.all_text()) for m in escalations(manager)] == [True]


def test_a_manager_may_decline_and_nobody_else_may_answer(agent, manager, other, slack, bot):
    agent.command("manager <@UMGR|maria>")
    [request] = requests_to(manager)

    # The same DM as a second device still shows it, buttons and all.
    stale_accept = manager.client.block_action_payload(request, ActionId.MANAGER_ACCEPT.value, user="UMGR")
    before = len(slack.responses)
    other.click(request, ActionId.MANAGER_ACCEPT.value)  # not theirs to answer
    assert "Only <@UMGR> can answer <@UAGENT>'s request" in answer_of(slack, before)
    assert "You asked <@UMGR>" in agent.command("manager").text

    manager.click(request, ActionId.MANAGER_DECLINE.value)
    assert len(told(agent, "<@UMGR> declined being your manager")) == 1
    shown = agent.command("manager").text
    assert "You have no manager" in shown and "You asked" not in shown

    before = len(slack.responses)
    assert manager.client.interactive(stale_accept).status == 200  # changed their mind, too late
    bot.settle()
    assert "isn't open any more" in answer_of(slack, before)
    assert "You have no manager" in agent.command("manager").text


def test_the_manager_in_force_stays_until_the_new_one_accepts(agent, manager, other, slack, bot, clock):
    agent.names_manager("UMGR")
    agent.command("manager <@UOTHER|olga>")
    case = agent.open_case("Acme Corp: refund not received")
    confirmation = promise(agent, case).text
    assert "it escalates to <@UMGR>" in confirmation
    assert "<@UOTHER> hasn't accepted being <@UAGENT>'s manager yet" in confirmation
    at(clock, bot, minutes=30)
    assert len(escalations(manager)) == 1 and escalations(other) == []

    other.click(requests_to(other)[0], ActionId.MANAGER_ACCEPT.value)
    assert len(told(manager, "<@UAGENT> no longer reports to you")) == 1
    promise(agent, case, what="send the label")
    at(clock, bot, minutes=30)
    assert len(escalations(manager)) == 1 and len(escalations(other)) == 1


def test_a_loop_is_refused(agent, manager, slack, bot):
    agent.names_manager("UMGR")
    refused = manager.command("manager <@UAGENT|alex>")
    assert refused.ephemeral and "<@UAGENT> reports to you" in refused.text and "loop" in refused.text
    assert requests_to(agent) == []


@pytest.fixture
def admin_bot(bot_settings, clock):
    """Olga (UOTHER) is an admin."""
    running = RunningBot(replace(bot_settings, admins=frozenset({"UOTHER"})), clock)
    yield running
    running.stop()


@pytest.fixture
def at_admin_bot(admin_bot, slack):
    """Someone talking to the bot where Olga is an admin."""
    signer = SlackEventsClient(admin_bot.url, SIGNING_SECRET, team_id="T1", api=slack)

    def make(user_id: str, name: str, tz: str = "Europe/London") -> Person:
        slack.set_user(user_id, name=name, tz=tz)
        return Person(user_id, signer, slack, admin_bot)

    return make


@pytest.fixture
def admin(at_admin_bot):
    return at_admin_bot("UOTHER", "olga")


def test_an_admin_sets_anyones_manager_at_once(admin, at_admin_bot, slack):
    alex, maria, sam = (
        at_admin_bot(u, n) for u, n in (("UAGENT", "alex"), ("UMGR", "maria"), ("USAM", "sam"))
    )
    alex.command("manager <@USAM|sam>")  # waiting for Sam
    [stale] = requests_to(sam)

    done = admin.command("team <@UAGENT|alex> manager <@UMGR|maria>")
    assert done.ephemeral and "<@UAGENT>'s missed promises now escalate to <@UMGR>" in done.text
    assert len(told(alex, "<@UOTHER> set your manager to <@UMGR>")) == 1
    assert len(told(maria, "<@UOTHER> made you <@UAGENT>'s manager")) == 1
    assert "Your missed promises escalate to <@UMGR>" in alex.command("manager").text
    # Alex's request to Sam was withdrawn: the admin decided.
    before = len(slack.responses)
    sam.click(stale, ActionId.MANAGER_ACCEPT.value)
    assert "isn't open any more" in answer_of(slack, before)

    done = admin.command("team <@UAGENT|alex> manager none")
    assert "<@UAGENT> has no manager now" in done.text
    assert len(told(alex, "<@UOTHER> removed your manager")) == 1
    assert len(told(maria, "<@UAGENT> no longer reports to you")) == 1


def test_a_team_lead_moves_people_within_their_own_team_only(agent, manager, person, slack, bot):
    """Bo leads Maria and Sam; Maria leads Alex; Dana leads Olga; Kim is new."""
    bo, sam, kim, olga = (
        person(u, n) for u, n in (("UBOSS", "bo"), ("USAM", "sam"), ("UKIM", "kim"), ("UOTHER", "olga"))
    )
    person("UDANA", "dana")
    agent.names_manager("UMGR")
    manager.names_manager("UBOSS")
    sam.names_manager("UBOSS")
    olga.names_manager("UDANA")

    refused = manager.command("team <@UAGENT|alex> manager <@USAM|sam>")
    assert "<@USAM> isn't in your team" in refused.text
    refused = manager.command("team <@UOTHER|olga> manager <@UMGR|maria>")
    assert "<@UOTHER> is in <@UDANA>'s team, not yours" in refused.text
    refused = manager.command("team <@UDANA|dana> manager <@UMGR|maria>")  # Dana has no manager
    assert "<@UDANA> leads a team of their own: an admin can set their manager" in refused.text
    refused = kim.command("team <@UAGENT|alex> manager <@UKIM|kim>")
    assert "Only admins and team leads" in refused.text
    assert "Your missed promises escalate to <@UMGR>" in agent.command("manager").text

    welcomed = manager.command("team <@UKIM|kim> manager <@UMGR|maria>")  # a newcomer
    assert "<@UKIM>'s missed promises now escalate to <@UMGR>" in welcomed.text
    assert "Your missed promises escalate to <@UMGR>" in kim.command("manager").text

    moved = bo.command("team <@UAGENT|alex> manager <@USAM|sam>")  # both in Bo's team
    assert "<@UAGENT>'s missed promises now escalate to <@USAM>" in moved.text
    assert len(told(manager, "<@UAGENT> no longer reports to you")) == 1
    assert len(told(sam, "<@UBOSS> made you <@UAGENT>'s manager")) == 1


def test_team_commands_that_make_no_sense_are_refused_clearly(agent, manager, slack, bot):
    agent.names_manager("UMGR")
    for text, words in [
        ("team", "Say whose manager, then who"),
        ("team <@UAGENT|alex>", "Say whose manager, then who"),
        ("team <@UAGENT|alex> boss <@UMGR|maria>", "Say whose manager, then who"),
        ("team <@UAGENT|alex> manager maria", "Mention the new manager"),
        ("team <@UAGENT|alex> manager <@UAGENT|alex>", "can't be their own manager"),
        ("team <@UAGENT|alex> manager <@UMGR|maria>", "manager is <@UMGR> already"),
    ]:
        answer = manager.command(text)
        assert answer.ephemeral and words in answer.text, (text, answer.text)
    assert "Your missed promises escalate to <@UMGR>" in agent.command("manager").text


def test_the_admin_home_shows_every_chain_and_who_has_none(admin, at_admin_bot, slack):
    alex, maria, sam, kim = (
        at_admin_bot("UAGENT", "alex"),
        at_admin_bot("UMGR", "maria"),
        at_admin_bot("USAM", "sam"),
        at_admin_bot("UKIM", "kim"),
    )
    at_admin_bot("UBOSS", "bo")
    alex.names_manager("UMGR")
    maria.names_manager("UBOSS")
    sam.open_case("Globex: wrong invoice")  # owns a case, has no manager
    kim.command("manager <@UMGR|maria>")  # not accepted yet

    home = "\n".join(texts_in(admin.open_home().view))
    assert "Manager chains (admins)" in home
    assert "<@UAGENT> → <@UMGR> → <@UBOSS>" in home and "<@UMGR> → <@UBOSS>" in home
    no_manager = next(line for line in home.splitlines() if "No manager" in line)
    assert "<@USAM>" in no_manager and "<@UKIM>" in no_manager and "<@UAGENT>" not in no_manager
    assert "<@UBOSS>" in next(line for line in home.splitlines() if "At the top" in line)
    assert "<@UKIM> asked <@UMGR>" in home

    assert "Manager chains" not in "\n".join(texts_in(maria.open_home().view))
