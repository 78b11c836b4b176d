"""A busy afternoon: 1,000 thread replies over 50 case threads in a few seconds, from 25
senders at once. Every one is acknowledged inside Slack's 3 seconds and every one is logged
as a contact, once, with its reaction."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from storage.models import Contact

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
