"""A busy afternoon: 1,000 thread replies over 50 case threads in a few seconds, from 25
senders at once. Every one is answered 200 and logged as a contact, once, with its reaction.
How fast (acks under Slack's 3 seconds at 100 senders at once, replies logged per second) is
measured in bench/ (bench/ack.py, bench/throughput.py), on a machine doing nothing else."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from storage.models import Contact

# A load test, half a minute of both cores: `make test` runs it alone, a plain pytest skips it.
pytestmark = pytest.mark.slow

THREADS = 50
REPLIES = 1000
SENDERS = 25


def test_a_thousand_replies_over_fifty_threads_are_all_acked_and_logged_once(agent, signer, slack, bot):
    threads = [agent.open_case(f"Customer {index}: parcel lost").card_ts for index in range(THREADS)]

    def send(number: int):
        return signer.thread_reply(
            f"Contact #{number}: called the customer", thread_ts=threads[number % THREADS], user="UAGENT"
        )

    with ThreadPoolExecutor(SENDERS) as pool:
        replies = list(pool.map(send, range(REPLIES)))
    bot.settle(timeout=120)

    assert [r.status for r in replies] == [200] * REPLIES
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
