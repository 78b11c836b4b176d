"""What the Web API stand-in holds, shared by the method families composed into FakeSlackAPI:
the people, channels, installs, faults and triggers it keeps, what it recorded, the lookups
every family uses, and the errors a method raises to answer `{"ok": false}`."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_standin.rate_limits import RateLimiter
from slack_standin.records import (
    Call,
    Ephemeral,
    Message,
    Reaction,
    Rejection,
    Response,
    StoredView,
    TsClock,
    dm_id,
)

if TYPE_CHECKING:
    from slack_standin.socket_mode import SocketModeServer


@dataclass
class Trigger:
    user: str
    issued: float  # time.monotonic(): Slack's 3 seconds are real seconds, whatever the test clock says
    # The view the interaction came from; views.push needs one.
    view_id: str | None = None
    used: bool = False


@dataclass
class Fault:
    method: str
    status: int
    error: str | None
    retry_after: int | None
    times: int | None
    until: float | None
    # Only calls whose parameters include all of these fail (say, one channel).
    only: dict[str, Any] | None = None


class Hold:
    """Calls of one method (or only those with some parameters) parked by FakeSlackAPI.hold
    until the test releases them: Slack slow for exactly as long as a test needs, and a view of
    the calls waiting on it at the same moment."""

    # However a test ends, a parked call is let go after this (the bot's client gives up at 10 s).
    LONGEST = 30.0

    def __init__(self, method: str, only: dict[str, Any] | None):
        self.method = method
        self.only = only
        self._changed = threading.Condition()
        self._parked: list[dict[str, Any]] = []
        self._released = False

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.method not in (method, "*"):
            return False
        return not self.only or all(params.get(k) == v for k, v in self.only.items())

    def park(self, params: dict[str, Any]) -> None:
        """Called by the server thread handling the call: returns once released."""
        with self._changed:
            if self._released:
                return
            self._parked.append(params)
            self._changed.notify_all()
            self._changed.wait_for(lambda: self._released, self.LONGEST)
            self._parked.remove(params)

    def parked(self) -> list[dict[str, Any]]:
        """The parameters of the calls waiting now."""
        with self._changed:
            return copy.deepcopy(self._parked)

    def wait_parked(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Until `count` calls wait at once; their parameters. AssertionError on timeout."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._parked) >= count, timeout):
                raise AssertionError(f"{len(self._parked)} {self.method} calls parked, not {count}")
            return copy.deepcopy(self._parked)

    def release(self) -> None:
        """Let every parked call go on, and every later one through."""
        with self._changed:
            self._released = True
            self._changed.notify_all()


@dataclass
class Channel:
    exists: bool = True
    # The bot is in it.
    member: bool = True
    name: str | None = None
    # A private channel: slash commands from it say channel_name "privategroup", its message
    # events channel_type "group", and conversations.info is_private.
    private: bool = False
    # Who is in it (conversations.members); None: everyone the stand-in knows (a public channel).
    members: list[str] | None = None


@dataclass
class User:
    id: str
    name: str
    real_name: str
    tz: str
    email: str | None = None
    is_bot: bool = False
    # Their profile status, as users.info reports it (status_text, status_emoji).
    status_text: str = ""
    status_emoji: str = ""


@dataclass
class Install:
    team_id: str
    team_name: str
    scopes: str
    installer: str
    token: str
    bot_user_id: str
    bot_id: str


class ApiError(Exception):
    """A Slack `{"ok": false, "error": code}` answer raised from inside a method handler."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class Rejected(ApiError):
    """Slack refusing the payload itself (a bug in the caller, not the weather): answered like
    ApiError, with Slack's response_metadata.messages, and recorded in FakeSlackAPI.rejected."""

    def __init__(self, code: str, problems: list[str]):
        super().__init__(code)
        self.problems = problems


class StandinState:
    """The state under FakeSlackAPI's one lock. FakeSlackAPI.__init__ sets the configuration
    below; `_clear_recorded` sets (and `reset` clears) what was recorded."""

    bot_user_id: str
    bot_id: str
    team_id: str
    default_tz: str
    ts_clock: TsClock
    trigger_ttl: float | None
    socket_mode: SocketModeServer
    _lock: threading.RLock
    _users: dict[str, User]
    _channels: dict[str, Channel]
    _counter: int
    _limiter: RateLimiter | None
    _limit_clock: Callable[[], float]

    def _clear_recorded(self) -> None:
        with self._lock:
            self._calls: list[Call] = []
            self._messages: list[Message] = []
            self._reactions: list[Reaction] = []
            self._ephemerals: list[Ephemeral] = []
            self._responses: list[Response] = []
            self._views: list[Call] = []
            self._rejected: list[Rejection] = []
            self._rejections_expected = False
            self._triggers: dict[str, Trigger] = {}
            # Every view by id, in the order they appeared; a person's Home tab by user.
            self._stored_views: dict[str, StoredView] = {}
            self._homes: dict[str, str] = {}
            # response_url path -> where its answers go: {"channel", "user", "message_ts"}.
            self._response_targets: dict[str, dict[str, Any]] = {}
            self._faults: list[Fault] = []
            self._delays: dict[str, float] = {}
            self._answer_delays: dict[str, float] = {}
            self._down = False
            for hold in getattr(self, "_holds", []):
                hold.release()
            self._holds: list[Hold] = []

    def _record(
        self,
        method: str,
        params: dict[str, Any],
        at: float,
        status: int,
        error: Any,
        token: str | None = None,
    ) -> None:
        with self._lock:
            self._calls.append(Call(method, copy.deepcopy(params), at, status, error, token))

    # ---- rejections ------------------------------------------------------------------------

    @property
    def rejected(self) -> list[Rejection]:
        """Every call refused for its payload: invalid blocks or views, spent or unknown trigger
        ids, a bad response_action. The `slack` fixture fails a test that leaves any here."""
        with self._lock:
            return [copy.deepcopy(r) for r in self._rejected]

    def expect_rejections(self) -> None:
        """This test provokes rejections on purpose; don't fail it for them."""
        with self._lock:
            self._rejections_expected = True

    @property
    def rejections_expected(self) -> bool:
        with self._lock:
            return self._rejections_expected

    def reject(self, method: str, error: str, reason: str, params: dict[str, Any] | None = None) -> None:
        """Record a refusal (the stand-in's methods and the events client call this)."""
        with self._lock:
            self._rejected.append(Rejection(method, error, reason, copy.deepcopy(params or {}), time.time()))

    # ---- lookups (called with the lock held) -----------------------------------------------

    def _resolve_channel(self, channel: Any) -> str:
        if not channel or not isinstance(channel, str):
            raise ApiError("channel_not_found")
        # Slack accepts a user id for chat.* and posts into the app's DM with that user.
        if channel.startswith(("U", "W")):
            return dm_id(channel)
        state = self._channels.get(channel)
        if state is not None and not state.exists:
            raise ApiError("channel_not_found")
        return channel

    def _require_member(self, channel: str) -> None:
        state = self._channels.get(channel)
        if state is not None and not state.member:
            raise ApiError("not_in_channel")

    def _find_message(self, channel: str, ts: str) -> Message | None:
        for message in self._messages:
            if message.channel == channel and message.ts == ts:
                return message
        return None
