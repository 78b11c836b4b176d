"""The stand-in's rate limits (opt-in), tested on its own over HTTP with slack_sdk: what it
refuses and for how long must be what Slack documents, or the punctuality benchmark measures
a make-believe Slack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slack_standin import FakeSlackAPI, RateLimit

pytestmark = pytest.mark.backend_independent


class HandClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def api() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as api:
        yield api


def client(api: FakeSlackAPI) -> WebClient:
    return WebClient(token="xoxb-test", base_url=api.base_url)


def post(web: WebClient, channel: str) -> int | str:
    """ "ok", or the Retry-After of a 429."""
    try:
        web.chat_postMessage(channel=channel, text="hi")
    except SlackApiError as error:
        assert error.response.status_code == 429
        assert error.response["error"] == "ratelimited"
        return int(error.response.headers["Retry-After"])
    return "ok"


def test_limits_are_off_unless_asked(api):
    web = client(api)
    assert [post(web, "C1") for _ in range(10)] == ["ok"] * 10


def test_one_message_a_second_per_channel_after_a_short_burst(api):
    clock = HandClock()
    api.enforce_rate_limits(
        {"chat.postMessage": (RateLimit(per_minute=60, burst=3, scope="channel"),)}, clock=clock
    )
    web = client(api)
    assert [post(web, "C1") for _ in range(4)] == ["ok", "ok", "ok", 1]
    # Another channel has a bucket of its own; a DM counts against the DM, by user id or D id.
    assert post(web, "C2") == "ok"
    assert [post(web, "UAGENT") for _ in range(3)] + [post(web, "DAGENT")] == ["ok"] * 3 + [1]
    clock.now += 0.5
    assert post(web, "C1") == 1  # half a token is no token; Retry-After is whole seconds
    clock.now += 0.5
    assert post(web, "C1") == "ok"
    assert post(web, "C1") == 1
    # The refused calls were recorded as Slack answered them, and did not count.
    assert api.call_count("chat.postMessage", status=429) == 4
    clock.now += 10
    assert [post(web, "C1") for _ in range(4)] == ["ok", "ok", "ok", 1]


def test_the_workspace_limit_spans_channels_and_the_longest_wait_wins(api):
    clock = HandClock()
    api.enforce_rate_limits(
        {
            "chat.postMessage": (
                RateLimit(per_minute=60, burst=1, scope="channel"),
                RateLimit(per_minute=20, burst=2),
            )
        },
        clock=clock,
    )
    web = client(api)
    assert [post(web, f"C{n}") for n in range(3)] == ["ok", "ok", 3]  # 20/min: a token per 3 s
    clock.now += 2.5
    assert post(web, "C9") == 1
    clock.now += 0.5
    assert post(web, "C9") == "ok"


def test_tiered_methods_count_per_method(api):
    clock = HandClock()
    api.enforce_rate_limits(clock=clock)  # Slack's table: users.info is Tier 4, reactions.add Tier 3
    web = client(api)
    for _ in range(20):
        web.users_info(user="UAGENT")
    with pytest.raises(SlackApiError) as refused:
        web.users_info(user="UAGENT")
    assert refused.value.response.status_code == 429
    assert refused.value.response.headers["Retry-After"] == "1"  # 100/min: a token per 0.6 s
    web.conversations_open(users="UAGENT")  # another method, another bucket
    clock.now += 0.6
    web.users_info(user="UAGENT")
