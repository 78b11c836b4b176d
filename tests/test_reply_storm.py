"""A busy afternoon: 1,000 thread replies over 50 case threads in a few seconds, from 25
senders at once. Every one is acknowledged inside Slack's 3 seconds and every one is logged
as a contact, once, with its reaction. Replies that queue up are logged in batches, and a
batch loses and doubles nothing."""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from slack_standin import SlackEventsClient
from storage.models import AuditEntry, Contact, EventState, InboundEvent, Promise
from tests.conftest import SIGNING_SECRET, Person, RunningBot

THREADS = 50
REPLIES = 1000
SENDERS = 25
SLACK_ACK_LIMIT_S = 3.0


def test_a_thousand_replies_over_fifty_threads_are_all_acked_in_time_and_logged(agent, signer, slack, bot):
    threads = [agent.open_case(f"Customer {index}: parcel lost").card_ts for index in range(THREADS)]

    def send(number: int):
        return signer.thread_reply(
            f"Contact #{number}: called the customer", thread_ts=threads[number % THREADS], user="UAGENT"
        )

    started = time.monotonic()
    with ThreadPoolExecutor(SENDERS) as pool:
        replies = list(pool.map(send, range(REPLIES)))
    storm_s = time.monotonic() - started
    bot.settle(timeout=120)
    acks = sorted(r.elapsed for r in replies)
    print(
        f"\nreply storm: {REPLIES} replies in {storm_s:.1f}s; ack p50 {acks[REPLIES // 2] * 1000:.0f} ms,"
        f" p99 {acks[int(REPLIES * 0.99)] * 1000:.0f} ms, max {acks[-1] * 1000:.0f} ms"
    )

    assert [r.status for r in replies] == [200] * REPLIES
    slowest = max(r.elapsed for r in replies)
    assert slowest < SLACK_ACK_LIMIT_S, f"slowest ack {slowest:.2f}s"
    with bot.db.transaction() as session:
        logged = session.execute(
            select(func.count(func.distinct(Contact.ts))).select_from(Contact)
        ).scalar_one()
        per_thread = session.execute(select(Contact.case_id, func.count()).group_by(Contact.case_id)).all()
    assert logged == REPLIES
    assert sorted(n for _, n in per_thread) == [REPLIES // THREADS] * THREADS
    bot.tick()
    reacted = {r.timestamp for r in slack.reactions}
    assert len(reacted) == REPLIES and len(slack.calls("reactions.add")) == REPLIES


@pytest.fixture
def one_lane_bot(bot_settings, clock):
    """A bot with one thread for events: replies that arrive while it is busy queue behind it."""
    running = RunningBot(bot_settings, clock, event_lane=(1, 100))
    yield running
    running.stop()


def test_replies_that_queue_up_are_logged_together_each_once(one_lane_bot, slack, caplog):
    bot = one_lane_bot
    caplog.set_level(logging.INFO, logger="handlers.listeners.events")
    client = SlackEventsClient(bot.url, SIGNING_SECRET, team_id="T1", api=slack)
    agent = Person("UAGENT", client, slack, bot)
    a, b, c = (agent.open_case(f"Customer {name}: parcel lost") for name in "ABC")

    # Slack answers the first reply's reaction only after two seconds: the lane's one thread
    # waits for it, and the replies that come meanwhile queue up behind it.
    slack.delay_answer("reactions.add", 2.0)
    client.thread_reply("First call", thread_ts=a.card_ts)
    slack.wait_for(lambda: slack.reactions or None, timeout=10, what="the first reaction")
    slack.clear_delays()
    sent = [
        client.thread_reply("Called back", thread_ts=a.card_ts),
        client.thread_reply("Left a voicemail", thread_ts=b.card_ts),
        client.thread_reply("Emailed the label", thread_ts=c.card_ts),
    ]
    # Slack's retry of the reply just above: the same event id, recorded once.
    ts, event_id = client.last_ts, client.last_event_id
    sent.append(
        client.thread_reply("Emailed the label", thread_ts=c.card_ts, ts=ts, event_id=event_id, retry_num=1)
    )
    # A promise needs its owner's time zone first: it is logged on its own, between two batches.
    sent.append(client.thread_reply("promise in 2 hours: send the refund receipt", thread_ts=b.card_ts))
    sent.append(client.thread_reply("Customer confirmed", thread_ts=c.card_ts))
    # The same Slack message delivered again under another event id, in the same batch.
    ts = client.last_ts
    sent.append(client.thread_reply("Customer confirmed", thread_ts=c.card_ts, ts=ts))
    sent.append(client.thread_reply("Sent the label", thread_ts=b.card_ts))
    assert [reply.status for reply in sent] == [200] * len(sent)
    bot.settle(timeout=30)

    with bot.db.transaction() as session:
        logged = session.execute(select(Contact.case_id, Contact.ts)).all()
        audited = session.execute(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "contact.logged")
        ).scalar_one()
        made = session.execute(select(Promise.case_id, Promise.description)).all()
        events = session.execute(select(InboundEvent.state)).scalars().all()
    stamps = [ts for _, ts in logged]
    assert len(stamps) == len(set(stamps)) == audited == 7
    assert Counter(case_id for case_id, _ in logged) == {a.case_id: 2, b.case_id: 3, c.case_id: 2}
    assert made == [(b.case_id, "send the refund receipt")]
    assert len(events) == 8 and set(events) == {EventState.PROCESSED}
    assert sorted(r.timestamp for r in slack.reactions) == sorted(stamps)
    assert len(slack.calls("reactions.add")) == 7
    for case, contacts in ((a, 2), (b, 3), (c, 2)):
        assert f"*Contacts*\n{contacts}" in slack.message(case.channel, case.card_ts).all_text()
    # And they were logged in two batches, split by the promise.
    batches = [int(n) for n in re.findall(r"event\.batched count=(\d+)", caplog.text)]
    assert batches == [3, 3]
