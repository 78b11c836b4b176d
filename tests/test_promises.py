"""Recording promises: from the command and from a thread reply, read in the owner's zone."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from storage.models import Notification, Promise


def epochs(text: str) -> list[int]:
    return [int(e) for e in re.findall(r"<!date\^(\d+)\^", text)]


def promise_count(bot) -> int:
    with bot.db.transaction() as session:
        return session.execute(select(func.count()).select_from(Promise)).scalar_one()


def test_promise_is_read_in_the_owners_time_zone_and_the_whole_plan_is_echoed(agent, manager, slack, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    result = agent.command(f"promise {case.ref} tomorrow 3pm: call back with the tracking number")
    # UAGENT is in New York: 15:00 there tomorrow.
    local_now = clock.now().astimezone(ZoneInfo("America/New_York"))
    due = datetime.combine(
        local_now.date() + timedelta(days=1),
        datetime.min.time().replace(hour=15),
        ZoneInfo("America/New_York"),
    )
    due_epoch = int(due.timestamp())
    shown = result.text
    assert result.ephemeral
    assert "call back with the tracking number" in shown
    assert "reminder to you at" in shown and "escalates to <@UMGR>" in shown
    assert epochs(result.responses[-1].body["text"]) == [due_epoch - 15 * 60, due_epoch, due_epoch]
    # The case thread records it too.
    note = slack.thread("C1", case.card_ts)[-1]
    assert "call back with the tracking number" in note.text


def test_promise_in_a_thread_reply(agent, slack, bot, clock):
    case = agent.open_case("Acme: refund")
    agent.reply(case, "promise in 2 hours: email the refund receipt")
    notes = [m for m in slack.thread("C1", case.card_ts) if "email the refund receipt" in m.text]
    assert len(notes) == 1
    assert int((clock.now() + timedelta(hours=2)).timestamp()) in epochs(notes[0].text)
    # The reply is a contact as well.
    assert "Contacts (1)" in agent.command(f"show {case.ref}").text


def test_unreadable_or_past_time_is_refused_and_records_nothing(agent, bot):
    case = agent.open_case("Acme: refund")
    for when, reason in [("whenever", "can't read"), ("yesterday 3pm", "in the past")]:
        result = agent.command(f"promise {case.ref} {when}: call back")
        assert result.ephemeral and reason in result.text
    assert promise_count(bot) == 0
    with bot.db.transaction() as session:
        assert session.execute(select(func.count()).select_from(Notification)).scalar_one() == 1  # the card


def test_bad_time_in_a_thread_reply_tells_only_the_author(agent, slack, bot):
    case = agent.open_case("Acme: refund")
    agent.reply(case, "promise sometime: call back")
    assert promise_count(bot) == 0
    assert len(slack.ephemerals) == 1
    assert slack.ephemerals[0].user == "UAGENT" and "can't read" in slack.ephemerals[0].text


def test_without_a_manager_the_plan_says_the_channel_hears_it(agent):
    case = agent.open_case("Acme: refund")
    shown = agent.command(f"promise {case.ref} in 1 hour: call back").text
    assert "escalates to this channel" in shown and "/case manager" in shown


def test_a_promise_due_sooner_than_the_lead_is_reminded_half_way(agent, clock):
    case = agent.open_case("Acme: refund")
    shown = agent.command(f"promise {case.ref} in 2 minutes: call back").responses[-1].body["text"]
    now = int(clock.now().timestamp())
    assert epochs(shown)[0] == now + 60
