"""The request path in lanes (DESIGN.md §7): what must be acknowledged is acknowledged however
much event work is waiting and however slow Slack is; events wait in the durable inbox, not in
memory; and a person's request sent twice changes things once.

"Acknowledged" here is Slack's test: an HTTP 200 to the request. Bolt answers 404 to a request
whose listener has not acked within 3 seconds, so a 200 is the ack in time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from bot.new_times import Snooze
from handlers.ids import ActionId, BlockId, CallbackId
from handlers.listeners.event_lane import EVENT_LEASE
from handlers.views.snooze import LABELS
from slack_standin import FakeSlackAPI, SlackEventsClient
from storage.models import AuditEntry, Case, Contact, InboundEvent, Promise
from tests.conftest import RunningBot
from tests.processes import BotProcess, bot_env, free_port, migrate

SECRET = "lanes-secret"
FLOOD = 1000
SENDERS = 25


def count(database_url: str, statement: Any) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(statement).scalar_one())
    finally:
        engine.dispose()


def flood(client: SlackEventsClient, thread_ts: str, replies: int) -> list[int]:
    """`replies` thread replies from many senders at once; the HTTP status of each."""

    def send(number: int) -> int:
        return client.thread_reply(f"Contact #{number}", thread_ts=thread_ts, user="UAGENT").status

    with ThreadPoolExecutor(SENDERS) as pool:
        return list(pool.map(send, range(replies)))


@pytest.fixture
def real_bot(tmp_path: Any, database_url: str) -> Any:
    """`python -m bot run` against a Slack stand-in, as an operator runs it."""
    slack = FakeSlackAPI(team_id="T1").start()
    slack.set_user("UAGENT", name="alex", tz="America/New_York")
    port = free_port()
    env = bot_env(
        SLACK_BOT_TOKEN="xoxb-lanes",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.base_url,
        DATABASE_URL=database_url,
        PORT=str(port),
    )
    migrate(env, tmp_path)
    processes: list[BotProcess] = []

    def start() -> SlackEventsClient:
        process = BotProcess("run", env, tmp_path, name=f"run{len(processes)}")
        processes.append(process)
        return SlackEventsClient(process.wait_healthy(port), SECRET, api=slack)

    try:
        yield slack, start, processes
    finally:
        for process in processes:
            process.kill()
        slack.stop()


def open_case(slack: FakeSlackAPI, client: SlackEventsClient) -> Any:
    assert client.command("open Acme: parcel lost", user="UAGENT").status == 200
    return slack.wait_for(lambda: next(iter(slack.messages("C1")), None), timeout=20, what="the case card")


def test_a_command_a_click_and_a_form_are_acked_while_a_thousand_replies_wait_and_slack_is_slow(
    real_bot, database_url
):
    slack, start, _processes = real_bot
    client = start()
    card = open_case(slack, client)
    assert client.block_action(card, ActionId.CARD_PROMISE.value, user="UAGENT").status == 200
    form = slack.wait_for(lambda: next(iter(slack.open_views("UAGENT")), None), timeout=20, what="the form")

    # Slack now takes 4 s a call, and a thousand replies arrive: their work waits on Slack.
    slack.delay("*", 4.0)
    assert flood(client, card.ts, FLOOD) == [200] * FLOOD
    assert client.command("list", user="UAGENT").status == 200
    assert client.block_action(card, ActionId.CARD_LOG_CONTACT.value, user="UAGENT").status == 200
    submitted = client.view_submission(
        form, {BlockId.WHAT.value: "call back", BlockId.WHEN_TEXT.value: "in 2 hours"}, user="UAGENT"
    )
    assert submitted.status == 200

    # Nothing acknowledged was lost: every reply is in the inbox, the promise is recorded once.
    slack.clear_delays()
    assert count(database_url, select(func.count()).select_from(InboundEvent)) == FLOOD
    promises = select(func.count()).select_from(Promise)
    slack.wait_for(lambda: count(database_url, promises) or None, timeout=60, what="the promise")
    assert count(database_url, promises) == 1


def test_kill_9_with_a_full_event_lane_loses_no_reply_that_was_acked(real_bot, database_url):
    slack, start, processes = real_bot
    client = start()
    card = open_case(slack, client)
    # Slack slow: the lane fills and most replies wait in the inbox when the process dies.
    slack.delay("*", 4.0)
    replies = 600
    assert flood(client, card.ts, replies) == [200] * replies
    processes[0].process.kill()
    processes[0].process.wait(10)
    slack.clear_delays()

    start()  # the next process takes up what the dead one left
    contacts = select(func.count(func.distinct(Contact.ts))).select_from(Contact)
    slack.wait_for(
        lambda: count(database_url, contacts) == replies or None, timeout=180, what="every reply logged"
    )
    assert count(database_url, select(func.count()).select_from(Contact)) == replies


@pytest.fixture
def small_lane_bot(bot_settings: Any, clock: Any) -> Any:
    """A bot whose event lane holds one event at work and two waiting."""
    running = RunningBot(bot_settings, clock, event_lane=(1, 2))
    yield running
    running.stop()


def test_replies_a_full_lane_left_in_the_inbox_are_each_logged_once(small_lane_bot, slack, clock):
    client = SlackEventsClient(small_lane_bot.url, "test-signing-secret", team_id="T1", api=slack)
    assert client.command("open Acme: parcel lost", user="UAGENT").status == 200
    small_lane_bot.settle()
    card = slack.messages("C1")[0]
    slack.delay("reactions.add", 0.3)
    replies = 12
    assert flood(client, card.ts, replies) == [200] * replies
    small_lane_bot.settle(timeout=60)

    with small_lane_bot.db.transaction() as session:
        logged = session.execute(select(Contact.ts)).scalars().all()
        unfinished = session.execute(
            select(func.count()).select_from(InboundEvent).where(InboundEvent.state == "received")
        ).scalar_one()
    assert len(logged) == replies and len(set(logged)) == replies
    assert unfinished == 0
    assert sorted(r.timestamp for r in slack.reactions) == sorted(logged)
    # Nothing is left for a worker to take up, now or once every claim has run out.
    clock.advance(EVENT_LEASE * 2)
    assert small_lane_bot.events.poll() == 0


def test_a_form_submitted_twice_stores_one_promise(agent, slack, bot):
    case = agent.open_case("Acme: parcel lost")
    card = next(m for m in slack.messages("C1") if m.ts == case.card_ts)
    agent.click(card, ActionId.CARD_PROMISE.value)
    form = agent.modal(CallbackId.MAKE_PROMISE.value)
    payload = agent.client.view_submission_payload(
        form, {BlockId.WHAT.value: "call back", BlockId.WHEN_TEXT.value: "in 2 hours"}, user="UAGENT"
    )
    # A double click on Submit: Slack sends the same view twice.
    assert agent.client.interactive(payload).status == 200
    assert agent.client.interactive(payload).status == 200
    bot.settle()
    with bot.db.transaction() as session:
        made = session.execute(select(Promise.description)).scalars().all()
    assert made == ["call back"]
    confirmations = [e for e in slack.ephemerals if "Promise recorded" in e.text]
    assert len(confirmations) == 1


def test_a_double_clicked_snooze_snoozes_once(agent, slack, bot, clock):
    case = agent.open_case("Acme: parcel lost")
    agent.command(f"promise {case.ref} in 1 hour: call back")
    clock.advance(minutes=46)
    bot.tick()
    reminder = agent.dms()[0]
    payload = agent.client.block_action_payload(
        reminder, ActionId.REMINDER_SNOOZE.value, user="UAGENT", option=LABELS[Snooze.LAST_CALL]
    )
    assert agent.client.interactive(payload).status == 200
    assert agent.client.interactive(payload).status == 200
    bot.settle()
    with bot.db.transaction() as session:
        snoozes = session.execute(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "reminder.snoozed")
        ).scalar_one()
    assert snoozes == 1


def test_the_same_case_open_sent_again_opens_one_case_and_says_why(agent, slack, bot, clock):
    agent.command("open Acme: parcel lost")
    again = agent.command("open Acme: parcel lost")
    assert "already" in again.text and "CASE-2" not in again.text
    with bot.db.transaction() as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 1
    # Other words are another case; and the same words later are another case too.
    agent.command("open Globex: invoice twice")
    clock.advance(minutes=3)
    agent.command("open Acme: parcel lost")
    with bot.db.transaction() as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 3


def test_events_that_touch_no_case_are_answered_without_being_kept(signer, slack, bot):
    chatter = signer.event(
        {"type": "message", "channel": "C1", "user": "UAGENT", "text": "lunch?", "ts": signer.next_ts()}
    )
    joined = signer.event(
        {
            "type": "message",
            "subtype": "channel_join",
            "channel": "C1",
            "user": "UOTHER",
            "ts": signer.next_ts(),
        }
    )
    assert (chatter.status, joined.status) == (200, 200)
    bot.settle()
    with bot.db.transaction() as session:
        assert session.execute(select(func.count()).select_from(InboundEvent)).scalar_one() == 0
