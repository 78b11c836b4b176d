"""The punctuality benchmark's floor: the best any sender could do under Slack's limits. If it
were too generous the goal would be out of reach; too strict, and the goal would mean nothing."""

from __future__ import annotations

import random

import pytest
from slack_sdk import WebClient

from bench.punctuality import floor_send_times
from slack_standin import FakeSlackAPI, RateLimit

pytestmark = pytest.mark.backend_independent

CHANNEL = RateLimit(per_minute=60, burst=3, scope="channel")
WORKSPACE = RateLimit(per_minute=600, burst=2)


def test_nothing_waits_when_no_limit_is_reached():
    due = [(100.0 + 2 * n, f"C{n % 2}") for n in range(5)]
    assert floor_send_times(due, {"chat.postMessage": (CHANNEL, WORKSPACE)}) == [at for at, _ in due]


def test_one_channel_goes_at_one_a_second_after_its_burst():
    due = [(100.0, "C1")] * 5
    assert floor_send_times(due, {"chat.postMessage": (CHANNEL,)}) == pytest.approx([100, 100, 100, 101, 102])


def test_the_workspace_limit_spaces_out_every_channel():
    due = [(100.0, f"C{n}") for n in range(5)]
    sent = floor_send_times(due, {"chat.postMessage": (CHANNEL, WORKSPACE)})
    assert sent == pytest.approx([100, 100, 100.1, 100.2, 100.3])


def test_a_message_held_by_its_channel_does_not_hold_up_the_others():
    one_each = RateLimit(per_minute=60, burst=1, scope="channel")
    due = [(100.0, "CA"), (100.0, "CA"), (100.5, "CB")]
    assert floor_send_times(due, {"chat.postMessage": (one_each,)}) == pytest.approx([100, 101, 100.5])


def test_the_stand_in_lets_every_message_of_the_floor_through():
    """The floor and the stand-in read the same table the same way: replayed at the floor's
    times, not one message is refused."""
    rng = random.Random(1)
    due = sorted((1000 + rng.uniform(0, 5), f"U{rng.randrange(8)}") for _ in range(120))
    sent = floor_send_times(due)
    now = [0.0]
    with FakeSlackAPI() as api:
        api.enforce_rate_limits(clock=lambda: now[0])
        web = WebClient(token="xoxb-test", base_url=api.base_url)
        for moment, (_, channel) in sorted(zip(sent, due, strict=True)):
            now[0] = moment
            web.chat_postMessage(channel=channel, text="reminder")
    assert api.call_count("chat.postMessage", status=429) == 0
    # ...and the limits were reached: 120 messages in 5 s is over several hundred a minute.
    assert max(sent) > 1000 + 5
