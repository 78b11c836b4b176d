"""Looking at cases: show, list; and closing them."""

import time
from datetime import timedelta

from handlers.listeners.event_lane import EVENT_LEASE
from storage import inbox


def test_list_shows_my_open_cases_and_their_next_promise(agent, other):
    first = agent.open_case("Acme: refund")
    agent.open_case("Globex: broken widget")
    other.open_case("Initech: not mine")
    agent.command(f"promise {first.ref} in 2 hours: call back")
    listed = agent.command("list").text
    assert "CASE-1" in listed and "CASE-2" in listed and "CASE-3" not in listed
    assert "call back" in listed and "Your open cases (2)" in listed


def test_close_with_a_note_then_it_leaves_the_list(agent, bot):
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 1 hour: call back")
    agent.command(f"done {case.ref}")
    closed = agent.command(f"close {case.ref} refund issued, customer confirmed")
    assert "CASE-1 is closed" in closed.text and "customer confirmed" in closed.text
    assert "no open cases" in agent.command("list").text
    shown = agent.command(f"show {case.ref}").text
    assert "closed" in shown and "refund issued" in shown and "kept" in shown


def test_help_lists_the_commands(agent):
    text = agent.command("help").text
    for word in ("/case open", "/case promise", "/case done", "/case show", "/case manager", "/case close"):
        assert word in text


def test_thread_reply_is_acked_fast_even_when_slack_is_slow(agent, signer, slack, bot):
    case = agent.open_case("Acme: refund")
    slack.delay("reactions.add", 4.0)
    started = time.monotonic()
    reply = signer.thread_reply("Called back", thread_ts=case.card_ts, user="UAGENT")
    assert reply.status == 200 and time.monotonic() - started < 1.5
    bot.settle(15)
    assert any(r.timestamp == signer.last_ts for r in slack.reactions)


def test_an_event_whose_processing_died_is_redriven(agent, signer, slack, bot, clock):
    case = agent.open_case("Acme: refund")
    # A worker claimed this reply, then died before it was handled.
    event = {
        "type": "message",
        "channel": "C1",
        "user": "UAGENT",
        "text": "Customer called back",
        "ts": f"{clock.now().timestamp() + 5:.6f}",
        "thread_ts": case.card_ts,
    }
    with bot.db.transaction() as session:
        inbox.record(session, "T1", "EvDIED", event, clock.now())
        now = clock.now()
        inbox.claim(session, inbox.claimable(session, now, 10), now, now + EVENT_LEASE)
    assert bot.events.poll() == 0, "held by the worker that died"
    clock.advance(EVENT_LEASE + timedelta(seconds=1))
    assert bot.events.poll() == 1
    assert bot.events.poll() == 0
    bot.settle()  # the event lane handles what was taken up
    assert "Customer called back" in agent.command(f"show {case.ref}").text
