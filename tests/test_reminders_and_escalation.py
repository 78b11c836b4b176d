"""The owner is reminded before the due time; a missed promise escalates to the manager."""

from dataclasses import replace
from datetime import timedelta


def test_owner_is_reminded_lead_time_before_due(agent, slack, bot, clock):
    case = agent.open_case("Acme Corp: refund not received")
    agent.command(f"promise {case.ref} in 1 hour: call back with the tracking number")
    clock.advance(minutes=44)
    bot.tick()
    assert agent.dms() == []
    clock.advance(minutes=1)
    bot.tick()
    reminders = agent.dms()
    assert len(reminders) == 1
    text = reminders[0].all_text()
    assert case.ref in text and "Acme Corp" in text and "call back with the tracking number" in text


def test_kept_promise_is_never_escalated(agent, manager, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 30 minutes: call back")
    result = agent.command(f"done {case.ref}")
    assert "Kept" in result.text and "on time" in result.text
    clock.advance(hours=2)
    bot.tick()
    assert manager.dms() == [] and agent.dms() == []


def test_missed_promise_escalates_to_the_manager_once_with_how_late(agent, manager, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    agent.command(f"promise {case.ref} in 30 minutes: call back")
    clock.advance(minutes=31)
    bot.tick()
    bot.tick()
    escalations = manager.dms()
    assert len(escalations) == 1
    text = escalations[0].all_text()
    assert case.ref in text and "<@UAGENT>" in text and "call back" in text and "1m late" in text
    notes = [m for m in slack.thread("C1", case.card_ts) if "overdue" in m.text]
    assert len(notes) == 1 and "<@UMGR>" in notes[0].text
    assert len(agent.dms()) == 1  # the reminder only


def test_grace_period_delays_escalation(agent, manager, bot, clock):
    bot.services.policy = replace(bot.services.policy, escalation_grace=timedelta(minutes=10))
    agent.names_manager("UMGR")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 30 minutes: call back")
    clock.advance(minutes=35)
    bot.tick()
    assert manager.dms() == []
    clock.advance(minutes=5)
    bot.tick()
    assert len(manager.dms()) == 1


def test_without_a_manager_the_channel_hears_it_and_the_owner_is_told(agent, slack, bot, clock):
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 30 minutes: call back")
    clock.advance(minutes=30)
    bot.tick()
    in_channel = [m for m in slack.thread("C1", case.card_ts) if "missed a promise" in m.all_text()]
    assert len(in_channel) == 1 and in_channel[0].reply_broadcast
    told = [m for m in agent.dms() if "no manager set" in m.all_text()]
    assert len(told) == 1 and "/case manager" in told[0].all_text()


def test_several_open_promises_done_asks_which_and_keeps_the_one_picked(agent, manager, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 2 hours: send the invoice")
    agent.command(f"promise {case.ref} in 1 hour: call back")
    asked = agent.command(f"done {case.ref}")
    assert "2 promises are open" in asked.text and "Which promise was kept?" in asked.text
    agent.click(asked.responses[-1], "promise.pick_to_keep", value=_value_of(asked, "call back"))
    clock.advance(hours=2, minutes=1)
    bot.tick()
    escalations = manager.dms()
    assert len(escalations) == 1 and "send the invoice" in escalations[0].all_text()


def _value_of(asked, description):
    """The value of the chooser's button on the row that names `description`."""
    for block in asked.responses[-1].body["blocks"]:
        if description in (block.get("text") or {}).get("text", "") and block.get("accessory"):
            return block["accessory"]["value"]
    raise AssertionError(f"no row for {description!r}")


def test_restart_catches_up_on_everything_due_while_down_once(
    agent, manager, slack, bot, bot_settings, clock
):
    from tests.conftest import RunningBot

    agent.names_manager("UMGR")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 30 minutes: call back")
    bot.stop()
    clock.advance(hours=3)  # down through the reminder and the due time
    restarted = RunningBot(bot_settings, clock)
    try:
        restarted.tick()
        restarted.tick()
        assert len(agent.dms()) == 1 and case.ref in agent.dms()[0].all_text()
        assert len(manager.dms()) == 1 and "2h 30m late" in manager.dms()[0].all_text()
    finally:
        restarted.stop()
    # And a second restart sends nothing again.
    again = RunningBot(bot_settings, clock)
    try:
        again.tick()
        assert len(agent.dms()) == 1 and len(manager.dms()) == 1
    finally:
        again.stop()
