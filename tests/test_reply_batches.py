"""Thread replies that arrive while the event lane is busy queue up and are logged in batches:
a batch loses and doubles nothing (Slack's retries, a message delivered twice), and a promise
among them is recorded on its own."""

from __future__ import annotations

import logging
import re
from collections import Counter

import pytest
from sqlalchemy import func, select

from slack_standin import SlackEventsClient
from storage.models import AuditEntry, Contact, EventState, InboundEvent, Promise
from tests.conftest import SIGNING_SECRET, Person, RunningBot


@pytest.fixture
def one_lane_bot(bot_settings, clock):
    """A bot with one thread for events: replies that arrive while it is busy queue behind it."""
    running = RunningBot(bot_settings, clock, event_lane=(1, 100))
    yield running
    running.stop()


def test_replies_that_queue_up_are_logged_together_each_once(one_lane_bot, slack, caplog):
    bot = one_lane_bot
    caplog.set_level(logging.INFO, logger="handlers.listeners.event_lane")
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
