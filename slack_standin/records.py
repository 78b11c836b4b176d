"""What the stand-in keeps and hands back: the calls it answered, the messages, reactions,
ephemerals and response_url answers the bot sent, the refusals, the views; and Slack's ids
(message timestamps, the app's DM channel with a person)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

# --------------------------------------------------------------------------------------------
# Slack's ids
# --------------------------------------------------------------------------------------------


class TsClock:
    """Hands out Slack-style message timestamps ("1700000000.000100").

    Slack's ts doubles as a message id, so two messages must never share one; time.time() can
    repeat or step backwards, hence the explicit monotonic bump. `time_func` lets a caller base
    the ts on a simulated clock (a test whose bot thinks it is some other day)."""

    def __init__(self, time_func: Callable[[], float] = time.time):
        self._time_func = time_func
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            micros = max(int(self._time_func() * 1_000_000), self._last + 1)
            self._last = micros
        return format_ts(micros)


def format_ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def ts_micros(ts: Any) -> int | None:
    """A ts as integer microseconds, for ordering; None when it isn't a number."""
    if ts is None or ts == "":
        return None
    try:
        return int(Decimal(str(ts)) * 1_000_000)
    except (InvalidOperation, ValueError):
        return None


# One process-wide clock for callers without a FakeSlackAPI, so their ts never collide either.
DEFAULT_TS = TsClock()


def dm_id(user_id: str) -> str:
    return "D" + user_id[1:]


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    # 0 means the connection was dropped without an HTTP response (see go_down).
    status: int
    error: str | None = None
    # The token the call carried: which workspace's bot made it (see FakeSlackAPI.team_of).
    token: str | None = None


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[Any] | None = None
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    user: str | None = None
    bot_id: str | None = None
    reply_broadcast: bool = False
    username: str | None = None
    icon_emoji: str | None = None
    attachments: list[Any] | None = None
    # Versions replaced by chat.update, oldest first: {"text", "blocks", "metadata", "at", "edited_ts"}.
    history: list[dict[str, Any]] = field(default_factory=list)
    # Everything the poster sent, for assertions on arguments this class doesn't model.
    params: dict[str, Any] = field(default_factory=dict)

    def all_text(self) -> str:
        """What a person sees: the text plus every text inside the blocks and attachments."""
        parts = [self.text] if self.text else []
        parts.extend(texts_in(self.blocks))
        parts.extend(texts_in(self.attachments))
        return "\n".join(parts)

    def mentions(self, s: str) -> bool:
        return s in self.all_text()

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass
class Reaction:
    channel: str
    timestamp: str
    name: str


@dataclass
class Ephemeral:
    channel: str
    user: str
    text: str
    blocks: list[Any] | None = None
    thread_ts: str | None = None
    message_ts: str = ""

    def all_text(self) -> str:
        return "\n".join(([self.text] if self.text else []) + texts_in(self.blocks))


@dataclass
class Response:
    path: str
    body: dict[str, Any]
    at: float
    # Where Slack shows it and to whom, when the response_url was issued for a known place
    # (see FakeSlackAPI.response_url); message_ts is the ts Slack gives what it shows.
    channel: str | None = None
    user: str | None = None
    message_ts: str = ""

    @property
    def is_ephemeral(self) -> bool:
        """Only the person it answers sees it, unless the bot said response_type=in_channel."""
        return self.body.get("response_type", "ephemeral") != "in_channel"

    def all_text(self) -> str:
        return "\n".join(texts_in(self.body))


@dataclass
class Rejection:
    """A call Slack would have refused for its payload (bad blocks or view, a spent trigger):
    the bot's bug, not Slack's weather. See FakeSlackAPI.rejected."""

    method: str
    error: str
    reason: str
    params: dict[str, Any]
    at: float

    def __str__(self) -> str:
        return f"{self.method} -> {self.error}: {self.reason}"


@dataclass
class StoredView:
    """A modal or Home tab as Slack keeps it: `view` is what views.* answered (id, hash, state,
    root_view_id, ...), updated in place by views.update and response_action=update."""

    id: str
    user: str
    view: dict[str, Any]
    # How it appeared: views.open, views.push, views.publish or response_action.
    method: str
    closed: bool = False
    # Earlier versions of `view`, oldest first.
    history: list[dict[str, Any]] = field(default_factory=list)
    # A sequence number of the last change, to find the view that changed last.
    changed: int = 0

    @property
    def type(self) -> str:
        return str(self.view.get("type") or "")

    @property
    def callback_id(self) -> str:
        return str(self.view.get("callback_id") or "")

    @property
    def hash(self) -> str:
        return str(self.view.get("hash") or "")

    @property
    def private_metadata(self) -> str:
        return str(self.view.get("private_metadata") or "")

    @property
    def blocks(self) -> list[Any]:
        return list(self.view.get("blocks") or [])

    @property
    def state(self) -> dict[str, Any]:
        """What the person has entered so far, as state.values ({block_id: {action_id: ...}})."""
        return dict((self.view.get("state") or {}).get("values") or {})

    def all_text(self) -> str:
        return "\n".join(texts_in([self.view.get("title"), self.view.get("blocks")]))

    def mentions(self, s: str) -> bool:
        return s in self.all_text()


def texts_in(value: Any) -> list[str]:
    """Every `text` string anywhere in a message, its blocks and their elements: what a person reads."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, item in node.items():
                if key == "text" and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(value)
    return found
