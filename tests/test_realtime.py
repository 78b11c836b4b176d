"""The wiring, in real time: `python -m bot` as a user starts it, second-scale durations,
real signed HTTP, the real scheduler loop. Proves start-up, migration, the dispatcher's
wake-ups and SIGTERM; the scheduling math itself is covered with the injected clock."""

from __future__ import annotations

import time

import pytest

from handlers.ids import ActionId
from slack_standin import SlackEventsClient
from tests.processes import BotProcess, bot_env, free_port, migrate

SECRET = "realtime-secret"


@pytest.fixture(params=["run", "web+worker"])
def real_bot(request, tmp_path, slack, database_url):
    """`python -m bot`, or the Procfile's split: `web` and `worker` on one database."""
    port = free_port()
    env = bot_env(
        SLACK_BOT_TOKEN="xoxb-realtime",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.base_url,
        DATABASE_URL=database_url,
        PORT=str(port),
        REMINDER_LEAD="2s",
        ESCALATION_GRACE="1s",
    )
    migrate(env, tmp_path)
    commands = ["run"] if request.param == "run" else ["web", "worker"]
    processes = [BotProcess(command, env, tmp_path) for command in commands]
    try:
        url = processes[0].wait_healthy(port)
        yield processes, url
    finally:
        for process in processes:
            process.kill()


def test_reminder_and_escalation_arrive_on_time_from_the_real_scheduler(real_bot, slack):
    _process, url = real_bot
    client = SlackEventsClient(url, SECRET, team_id="T1", api=slack)
    assert client.command("manager <@UMGR|maria>", user="UAGENT").status == 200
    asked = slack.wait_for(lambda: next(iter(slack.dms_to("UMGR")), None), timeout=10)
    assert client.block_action(asked, ActionId.MANAGER_ACCEPT.value, user="UMGR").status == 200
    # Alex hears that Maria accepted: her acceptance is in force.
    slack.wait_for(lambda: any("accepted" in m.all_text() for m in slack.dms_to("UAGENT")), timeout=10)
    assert client.command("open Acme: refund", user="UAGENT").status == 200
    card = slack.wait_for(lambda: next(iter(slack.messages("C1")), None), timeout=10)
    made_at = time.time()
    assert client.command("promise CASE-1 in 4 seconds: call back", user="UAGENT").status == 200
    reminder = slack.wait_for(lambda: next(iter(_about_case(slack, "UAGENT")), None), timeout=10)
    reminded_at = _posted_at(slack, "UAGENT")
    escalation = slack.wait_for(lambda: next(iter(_about_case(slack, "UMGR")), None), timeout=10)
    escalated_at = _posted_at(slack, "UMGR")
    assert "CASE-1" in reminder.all_text() and "CASE-1" in escalation.all_text()
    # Due in 4s, reminded 2s before, escalated 1s after: on time to within the poll interval.
    assert 1.5 <= reminded_at - made_at <= 4.5
    assert 4.5 <= escalated_at - made_at <= 8.0
    # The promise was made on CASE-1's card, at the top of C1, and its escalation is on the case's
    # record as well: a note in the card's thread names who was told.
    assert card.thread_ts is None and "CASE-1" in card.all_text()
    slack.wait_for(lambda: notes_in(slack, card), timeout=10, what="the escalation note in the case thread")
    time.sleep(1)
    assert len(_about_case(slack, "UAGENT")) == 1 and len(_about_case(slack, "UMGR")) == 1
    assert len(notes_in(slack, card)) == 1


def notes_in(slack, card):
    return [m for m in slack.thread("C1", card.ts) if "escalated to <@UMGR>" in m.all_text()]


def _about_case(slack, user):
    return [m for m in slack.dms_to(user) if "CASE-1" in m.all_text()]


def _posted_at(slack, user):
    return next(
        c.at
        for c in slack.calls("chat.postMessage")
        if c.params.get("channel") == user and "CASE-1" in str(c.params.get("text"))
    )


def test_sigterm_stops_the_bot_cleanly(real_bot):
    processes, _url = real_bot
    assert [p.terminate(15) for p in processes] == [0] * len(processes)
