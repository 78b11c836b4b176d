"""A local stand-in for Slack, used by the test suite, `make demo` and bench/. It is never shipped
in the wheel: the bot's packages are bot, handlers and storage only.

Two halves, both speaking real HTTP on 127.0.0.1 so the bot under test runs unpatched:

* `FakeSlackAPI` plays the Slack Web API (the bot's slack_sdk client points its base_url here) and
  a response_url endpoint. It records every call, keeps the messages the bot posted, and can be
  told to misbehave (errors, rate limits, slowness, dropped connections), or to hold the bot to
  Slack's documented rate limits (`enforce_rate_limits`, off unless asked).
* `SlackEventsClient` plays Slack calling the bot: slash commands, Events API callbacks and
  interactions (block_actions, view_submission, view_closed, app_home_opened), signed with the
  signing secret exactly as Slack documents it.

Like Slack, the stand-in holds the bot to the rules of interactivity: a trigger_id opens one
view, within 3 seconds; views keep an id and a hash (views.update with a stale hash is refused);
and every view and every blocks payload is checked with slack_sdk's own Block Kit models and
Slack's documented limits. What Slack would refuse is answered with Slack's error and recorded
(`FakeSlackAPI.rejected`), so a test can't pass while the person saw nothing.

A bot in Socket Mode gets the same commands and events over a WebSocket instead:
`apps.connections.open` hands it a URL of `FakeSlackAPI.socket_mode` (a `SocketModeServer`), and
`SocketModeEventsClient` sends them there as envelopes and waits for the bot's acks.

Standard library at import time, so it can run anywhere the bot's tests run; the Block Kit checks
use slack_sdk (the bot's own dependency) and Socket Mode the `websockets` package (a dev extra),
each imported when first needed.

Where things are: records.py (what is recorded: Call, Message, StoredView, ...), blockkit.py and
view_state.py (Block Kit checks, state.values), rate_limits.py, web_api/ (FakeSlackAPI, one
module per family of Web API methods), events_client/ (SlackEventsClient, likewise),
socket_mode.py, and demo.py (`make demo`).
"""

from slack_standin.blockkit import block_problems, find_element, view_problems
from slack_standin.events_client.client import SlackEventsClient
from slack_standin.events_client.wire import Reply, sign
from slack_standin.rate_limits import (
    SLACK_RATE_LIMITS,
    RateLimit,
    RateLimiter,
    TokenBucket,
    rate_limit_channel,
)
from slack_standin.records import (
    Call,
    Ephemeral,
    Message,
    Reaction,
    Rejection,
    Response,
    StoredView,
    TsClock,
    texts_in,
)
from slack_standin.socket_mode import SocketModeEventsClient, SocketModeServer
from slack_standin.view_state import entry_for, state_values
from slack_standin.web_api import FakeSlackAPI

__all__ = [
    "Call",
    "Ephemeral",
    "FakeSlackAPI",
    "Message",
    "RateLimit",
    "RateLimiter",
    "Reaction",
    "Rejection",
    "Reply",
    "Response",
    "SLACK_RATE_LIMITS",
    "SlackEventsClient",
    "SocketModeEventsClient",
    "SocketModeServer",
    "StoredView",
    "TokenBucket",
    "TsClock",
    "block_problems",
    "entry_for",
    "find_element",
    "rate_limit_channel",
    "sign",
    "state_values",
    "texts_in",
    "view_problems",
]
