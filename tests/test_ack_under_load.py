"""Slack gives an app 3 seconds to acknowledge. Work done after the ack (posting the card,
logging the contact) must never make a new request wait for its ack, however much of it is
queued; measured figures are in bench/ (make bench)."""

from __future__ import annotations

import threading
import time

import pytest

from slack_standin import FakeSlackAPI, SlackEventsClient
from storage.db import Turns
from tests.processes import BotProcess, bot_env, free_port, migrate

SECRET = "ack-secret"
# More commands at once than the bot has listener threads (bot.app.LISTENER_THREADS).
BURST = 40


def test_a_command_is_acknowledged_at_once_while_earlier_commands_wait_on_slack(tmp_path, database_url):
    with FakeSlackAPI(team_id="T1") as slack:
        slack.set_user("UAGENT", name="alex", tz="America/New_York")
        port = free_port()
        env = bot_env(
            SLACK_BOT_TOKEN="xoxb-ack",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.base_url,
            DATABASE_URL=database_url,
            PORT=str(port),
        )
        migrate(env, tmp_path)
        bot = BotProcess("run", env, tmp_path)
        try:
            url = bot.wait_healthy(port)
            client = SlackEventsClient(url, SECRET, api=slack)
            # Every card post now takes 4 s: the work after each ack holds a thread that long.
            slack.delay("chat.postMessage", 4.0)
            burst = [
                threading.Thread(target=client.command, args=(f"open Acme {n}: parcel {n} lost",))
                for n in range(BURST)
            ]
            for thread in burst:
                thread.start()
            # By now every listener thread holds a command's card post (the stand-in records a
            # call only once it answers, so there is nothing to wait on but the clock).
            time.sleep(1.0)
            late = client.command("open Globex: invoice twice")
            assert late.status == 200
            assert late.elapsed < 1.0, f"the ack took {late.elapsed:.2f}s behind earlier commands' work"
            for thread in burst:
                thread.join(30)
            # Nothing was dropped for being queued: every case got its card.
            slack.clear_delays()
            slack.wait_for(
                lambda: len(slack.messages("C1")) == BURST + 1 or None, timeout=60, what="every card"
            )
        finally:
            bot.kill()


@pytest.mark.backend_independent
def test_an_urgent_transaction_goes_before_the_ones_already_waiting():
    turns = Turns()
    order: list[str] = []
    holding = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with turns.turn():
            holding.set()
            release.wait(5)

    def waiter(name: str, urgent: bool) -> None:
        with turns.turn(urgent):
            order.append(name)

    first = threading.Thread(target=holder)
    first.start()
    holding.wait(5)
    normal = [threading.Thread(target=waiter, args=(f"work {n}", False)) for n in range(3)]
    for thread in normal:
        thread.start()
    time.sleep(0.2)  # the work is queued before the urgent one arrives
    urgent = threading.Thread(target=waiter, args=("ack", True))
    urgent.start()
    time.sleep(0.2)
    release.set()
    for thread in [first, *normal, urgent]:
        thread.join(5)
    assert order[0] == "ack" and sorted(order[1:]) == ["work 0", "work 1", "work 2"]


@pytest.mark.backend_independent
def test_the_thread_holding_the_turn_may_take_it_again():
    turns = Turns()
    with turns.turn(), turns.turn(urgent=True):
        pass
    taken = threading.Event()

    def other() -> None:
        with turns.turn():
            taken.set()

    thread = threading.Thread(target=other)
    thread.start()
    assert taken.wait(2), "the turn was not handed on after the nested use"
