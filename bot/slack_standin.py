"""A local stand-in for Slack, used by the test suite and by `make demo`.

Two halves, both speaking real HTTP on 127.0.0.1 so the bot under test runs unpatched:

* `FakeSlackAPI` plays the Slack Web API (the bot's slack_sdk client points its base_url here) and
  a response_url endpoint. It records every call, keeps the messages the bot posted, and can be
  told to misbehave (errors, rate limits, slowness, dropped connections).
* `SlackEventsClient` plays Slack calling the bot: slash commands and Events API callbacks,
  signed with the signing secret exactly as Slack documents it.

A bot in Socket Mode gets the same commands and events over a WebSocket instead:
`apps.connections.open` hands it a URL of `FakeSlackAPI.socket_mode` (a `SocketModeServer`), and
`SocketModeEventsClient` sends them there as envelopes and waits for the bot's acks.

Standard library only, so it can run anywhere the bot's tests run; Socket Mode alone needs the
`websockets` package (a dev extra), imported when a client first asks for a connection.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from email.message import Message as HeaderMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "Call",
    "Ephemeral",
    "FakeSlackAPI",
    "Message",
    "Reaction",
    "Reply",
    "Response",
    "SlackEventsClient",
    "SocketModeEventsClient",
    "SocketModeServer",
    "TsClock",
    "sign",
]

# Form-encoded Web API arguments that Slack documents as "JSON, URL-encoded as a string".
_JSON_ARGUMENTS = frozenset({"blocks", "attachments", "metadata", "view", "unfurls"})


# --------------------------------------------------------------------------------------------
# Message timestamps
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
_DEFAULT_TS = TsClock()


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

    def all_text(self) -> str:
        return "\n".join(texts_in(self.body))


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


@dataclass
class _Fault:
    method: str
    status: int
    error: str | None
    retry_after: int | None
    times: int | None
    until: float | None
    # Only calls whose parameters include all of these fail (say, one channel).
    only: dict[str, Any] | None = None


@dataclass
class _Channel:
    exists: bool = True
    member: bool = True
    name: str | None = None


@dataclass
class _User:
    id: str
    name: str
    real_name: str
    tz: str
    email: str | None = None
    is_bot: bool = False


@dataclass
class _Install:
    team_id: str
    team_name: str
    scopes: str
    installer: str
    token: str
    bot_user_id: str
    bot_id: str


class _ApiError(Exception):
    """A Slack `{"ok": false, "error": code}` answer raised from inside a method handler."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _dm_id(user_id: str) -> str:
    return "D" + user_id[1:]


# --------------------------------------------------------------------------------------------
# The Web API stand-in
# --------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    api: FakeSlackAPI

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout, retry) mid-answer is normal here, not worth a traceback.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "FakeSlack/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature is inherited
        # The tests and the demo print what matters themselves; per-request lines are noise.
        pass

    def do_GET(self) -> None:
        self.server.api._handle(self)

    def do_POST(self) -> None:
        self.server.api._handle(self)


class FakeSlackAPI:
    """The Slack Web API on 127.0.0.1, in memory. See the module docstring."""

    def __init__(
        self,
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        team_id: str = "T1",
        default_tz: str = "UTC",
        *,
        time_func: Callable[[], float] = time.time,
    ):
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        ZoneInfo(default_tz)  # fail at construction, not on the first users.info
        self.default_tz = default_tz
        self.ts_clock = TsClock(time_func)
        # One re-entrant lock for all state: calls are rare enough that contention doesn't matter,
        # and a single lock makes every query a consistent snapshot.
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._users: dict[str, _User] = {}
        self._channels: dict[str, _Channel] = {}
        self._counter = 0
        self._clear_recorded()
        self._init_workspaces()
        self.socket_mode = SocketModeServer(app_id="A1")

    def _clear_recorded(self) -> None:
        with self._lock:
            self._calls: list[Call] = []
            self._messages: list[Message] = []
            self._reactions: list[Reaction] = []
            self._ephemerals: list[Ephemeral] = []
            self._responses: list[Response] = []
            self._views: list[Call] = []
            self._faults: list[_Fault] = []
            self._delays: dict[str, float] = {}
            self._answer_delays: dict[str, float] = {}
            self._down = False

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlackAPI:
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.api = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-slack", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.socket_mode.stop()
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> FakeSlackAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlackAPI is not started")
        return int(self._server.server_address[1])

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/api/"

    def response_url(self, name: str = "") -> str:
        with self._lock:
            self._counter += 1
            n = self._counter
        slug = urllib.parse.quote(name, safe="") if name else "r"
        return f"{self.root_url}/respond/{slug}-{n}"

    # ---- configuration ---------------------------------------------------------------------

    def set_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        tz: str | None = None,
        email: str | None = None,
        is_bot: bool = False,
    ) -> None:
        tz = tz or self.default_tz
        ZoneInfo(tz)  # a typo in a test's zone should fail here, loudly
        name = name or user_id.lower()
        with self._lock:
            self._users[user_id] = _User(user_id, name, real_name or name.title(), tz, email, is_bot)

    def set_channel(
        self, channel_id: str, *, member: bool = True, exists: bool = True, name: str | None = None
    ) -> None:
        with self._lock:
            self._channels[channel_id] = _Channel(exists=exists, member=member, name=name)

    def is_member(self, channel_id: str) -> bool:
        with self._lock:
            state = self._channels.get(channel_id)
            return state is None or (state.exists and state.member)

    def channel_name(self, channel_id: str) -> str:
        with self._lock:
            state = self._channels.get(channel_id)
        if state is not None and state.name:
            return state.name
        return "directmessage" if channel_id.startswith("D") else channel_id.lower()

    def user_name(self, user_id: str) -> str:
        with self._lock:
            user = self._users.get(user_id)
        return user.name if user else user_id.lower()

    # ---- fault injection -------------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        error: str | None = None,
        retry_after: int | None = None,
        times: int | None = None,
        until: float | None = None,
        only: dict[str, Any] | None = None,
    ) -> None:
        """Make the next `times` calls of `method` ("*" for all) fail; None = until cleared.
        `only`: just the calls with these parameters, e.g. {"channel": "UAGENT"}."""
        with self._lock:
            self._faults.append(_Fault(method, status, error, retry_after, times, until, only))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def delay(self, method: str, seconds: float) -> None:
        with self._lock:
            self._delays[method] = seconds

    def delay_answer(self, method: str, seconds: float) -> None:
        """Do the work of `method` at once but answer only after `seconds`: Slack has the
        message while the caller is still waiting (a crash then leaves it unrecorded)."""
        with self._lock:
            self._answer_delays[method] = seconds

    def clear_delays(self) -> None:
        with self._lock:
            self._delays.clear()
            self._answer_delays.clear()

    def go_down(self) -> None:
        """Drop every /api/ connection without answering, as a network failure would."""
        with self._lock:
            self._down = True

    def come_back(self) -> None:
        with self._lock:
            self._down = False

    def _take_fault(self, method: str, params: dict[str, Any]) -> _Fault | None:
        with self._lock:
            now = time.time()
            self._faults = [f for f in self._faults if f.until is None or now < f.until]
            for fault in self._faults:
                if fault.only and any(params.get(k) != v for k, v in fault.only.items()):
                    continue
                if fault.method in (method, "*"):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    # ---- several workspaces (OAuth) --------------------------------------------------------
    #
    # Slack's side of an install: someone in a workspace approves the app on Slack's authorize
    # page (`approve_install`, which gives the code Slack puts in the redirect), the app trades
    # the code for that workspace's bot token with oauth.v2.access, and every later call carries
    # that token (`Call.token`, `team_of`). A token the stand-in never issued still speaks for
    # `team_id`, as in the one-workspace tests.

    def _init_workspaces(self) -> None:
        self._oauth_credentials: tuple[str, str] | None = None
        self._codes: dict[str, _Install] = {}
        self._installed_by_token: dict[str, _Install] = {}
        self._revoked_tokens: set[str] = set()
        self._caller_token: str | None = None

    def oauth_app(self, client_id: str, client_secret: str) -> None:
        """The app's credentials, as oauth.v2.access checks them."""
        with self._lock:
            self._oauth_credentials = (client_id, client_secret)

    def approve_install(
        self, team_id: str, *, scopes: str, installer: str, team_name: str | None = None
    ) -> str:
        """Someone in `team_id` approved the app for `scopes`: the one-time code for the redirect."""
        with self._lock:
            self._counter += 1
            n = self._counter
            code = f"{n}.{uuid.uuid4().hex}"
            self._codes[code] = _Install(
                team_id=team_id,
                team_name=team_name or f"Workspace {team_id}",
                scopes=scopes,
                installer=installer,
                token=f"xoxb-{team_id}-{n}-{uuid.uuid4().hex[:16]}",
                bot_user_id=f"UB{team_id}",
                bot_id=f"BB{team_id}",
            )
        return code

    def token_of(self, team_id: str) -> str | None:
        """The bot token issued to `team_id` by its latest install."""
        with self._lock:
            issued = [t for t, install in self._installed_by_token.items() if install.team_id == team_id]
        return issued[-1] if issued else None

    def team_of(self, call_or_token: Call | str | None) -> str | None:
        """Which workspace's bot made a call (or owns a token); None for a call without a token."""
        token = call_or_token.token if isinstance(call_or_token, Call) else call_or_token
        if not token:
            return None
        with self._lock:
            install = self._installed_by_token.get(token)
        return install.team_id if install is not None else self.team_id

    def uninstall(self, team_id: str) -> None:
        """The workspace removed the app: its tokens stop working (token_revoked)."""
        with self._lock:
            for token, install in self._installed_by_token.items():
                if install.team_id == team_id:
                    self._revoked_tokens.add(token)

    def _answer_oauth_v2_access(self, request: _Handler, params: dict[str, Any], arrived: float) -> None:
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        basic = _basic(request.headers.get("Authorization"))
        if basic is not None:
            client_id, client_secret = basic
        recorded = {k: v for k, v in params.items() if k != "client_secret"}
        with self._lock:
            install = self._codes.pop(str(params.get("code") or ""), None)
            if self._oauth_credentials is None or client_id != self._oauth_credentials[0]:
                result: dict[str, Any] = {"ok": False, "error": "invalid_client_id"}
            elif client_secret != self._oauth_credentials[1]:
                result = {"ok": False, "error": "bad_client_secret"}
            elif install is None:
                result = {"ok": False, "error": "invalid_code"}
            else:
                self._installed_by_token[install.token] = install
                result = {
                    "ok": True,
                    "app_id": "A1",
                    "authed_user": {"id": install.installer},
                    "scope": install.scopes,
                    "token_type": "bot",
                    "access_token": install.token,
                    "bot_user_id": install.bot_user_id,
                    "team": {"id": install.team_id, "name": install.team_name},
                    "enterprise": None,
                    "is_enterprise_install": False,
                }
        self._record("oauth.v2.access", recorded, arrived, 200, result.get("error"))
        _send_json(request, 200, result)

    # ---- seeding ---------------------------------------------------------------------------

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str,
        ts: str | None = None,
        thread_ts: str | None = None,
        blocks: list[Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Message:
        """Store a message as if a person had posted it, so history/replies return it."""
        message = Message(
            channel=channel,
            ts=ts or self.ts_clock.next(),
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            metadata=metadata,
            user=user,
        )
        with self._lock:
            self._messages.append(message)
        return copy.deepcopy(message)

    # ---- queries ---------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [copy.deepcopy(c) for c in self._calls if method is None or c.method == method]

    def messages(self, channel: str | None = None) -> list[Message]:
        with self._lock:
            return [copy.deepcopy(m) for m in self._messages if channel is None or m.channel == channel]

    def message(self, channel: str, ts: str) -> Message | None:
        with self._lock:
            found = self._find_message(channel, ts)
            return copy.deepcopy(found) if found else None

    def dm_channel(self, user_id: str) -> str:
        return _dm_id(user_id)

    def dms_to(self, user_id: str) -> list[Message]:
        return self.messages(_dm_id(user_id))

    def thread(self, channel: str, ts: str) -> list[Message]:
        with self._lock:
            return [
                copy.deepcopy(m)
                for m in self._messages
                if m.channel == channel and m.thread_ts == ts and m.ts != ts
            ]

    @property
    def reactions(self) -> list[Reaction]:
        with self._lock:
            return [copy.deepcopy(r) for r in self._reactions]

    @property
    def ephemerals(self) -> list[Ephemeral]:
        with self._lock:
            return [copy.deepcopy(e) for e in self._ephemerals]

    @property
    def responses(self) -> list[Response]:
        with self._lock:
            return [copy.deepcopy(r) for r in self._responses]

    @property
    def views(self) -> list[Call]:
        with self._lock:
            return [copy.deepcopy(v) for v in self._views]

    def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01, what: str = ""
    ) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                break
            time.sleep(interval)
        label = what or getattr(predicate, "__name__", "condition")
        raise AssertionError(f"timed out waiting for {label} after {timeout}s; {self.describe_calls()}")

    def describe_calls(self, last: int = 15) -> str:
        with self._lock:
            calls = list(self._calls)
        if not calls:
            return "no Slack API calls were made"
        shown = ", ".join(f"{c.method}->{c.status}{'/' + c.error if c.error else ''}" for c in calls[-last:])
        more = f" (last {last} of {len(calls)})" if len(calls) > last else ""
        return f"calls{more}: {shown}"

    def reset(self) -> None:
        """Forget everything recorded and every fault; users and channels stay configured."""
        self._clear_recorded()

    # ---- HTTP handling ---------------------------------------------------------------------

    def _handle(self, request: _Handler) -> None:
        arrived = time.time()
        url = urllib.parse.urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length > 0 else b""

        if url.path.startswith("/respond/") and request.command == "POST":
            self._handle_response_url(request, url.path, raw, arrived)
            return
        if not url.path.startswith("/api/"):
            _send(request, 404, b"not found", "text/plain")
            return

        method = url.path[len("/api/") :].strip("/")
        try:
            params = _parse_params(url.query, raw, request.headers.get("Content-Type", ""))
        except ValueError:
            params = {}
            self._record(method, params, arrived, 200, "invalid_json")
            _send_json(request, 200, {"ok": False, "error": "invalid_json"})
            return
        if method == "oauth.v2.access":
            self._answer_oauth_v2_access(request, params, arrived)
            return
        token = _bearer(request.headers.get("Authorization")) or params.pop("token", None)

        with self._lock:
            down = self._down
            pause = self._delays.get(method, self._delays.get("*", 0.0))
        if down:
            self._record(method, params, arrived, 0, "connection_reset")
            _reset_connection(request)
            return
        if pause:
            time.sleep(pause)

        fault = self._take_fault(method, params)
        if fault is not None:
            self._answer_fault(request, method, params, arrived, fault)
            return

        if method == "apps.connections.open":
            result = self._open_socket_connection(token)
        elif not token:
            result = {"ok": False, "error": "not_authed"}
        elif not str(token).startswith("xoxb-"):
            result = {"ok": False, "error": "invalid_auth"}
        else:
            result = self._dispatch(method, params, token)
        self._record(method, params, arrived, 200, result.get("error"), token=token)
        with self._lock:
            answer_pause = self._answer_delays.get(method, 0.0)
        if answer_pause:
            time.sleep(answer_pause)
        _send_json(request, 200, result)

    def _answer_fault(
        self, request: _Handler, method: str, params: dict[str, Any], arrived: float, fault: _Fault
    ) -> None:
        if fault.status == 429:
            retry_after = fault.retry_after or 1
            self._record(method, params, arrived, 429, "ratelimited")
            _send_json(request, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
        elif fault.status == 200 and fault.error:
            self._record(method, params, arrived, 200, fault.error)
            _send_json(request, 200, {"ok": False, "error": fault.error})
        else:
            error = fault.error or "internal_error"
            self._record(method, params, arrived, fault.status, error)
            _send_json(request, fault.status, {"ok": False, "error": error})

    def _handle_response_url(self, request: _Handler, path: str, raw: bytes, arrived: float) -> None:
        try:
            body = json.loads(raw.decode("utf-8") or "{}")
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            # Still recorded, so a test can see the bot sent something malformed.
            with self._lock:
                self._responses.append(Response(path, {"_raw": raw.decode("utf-8", "replace")}, arrived))
            _send(request, 400, b"invalid_payload", "text/plain")
            return
        with self._lock:
            self._responses.append(Response(path, body, arrived))
        _send(request, 200, b"ok", "text/html")

    def _open_socket_connection(self, token: str | None) -> dict[str, Any]:
        """apps.connections.open takes only an app-level token; the bot's xoxb- is refused."""
        if not token:
            return {"ok": False, "error": "not_authed"}
        if not str(token).startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": self.socket_mode.new_url()}

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

    def _dispatch(self, method: str, params: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        handler = _METHODS.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        try:
            with self._lock:
                if token in self._revoked_tokens:
                    raise _ApiError("token_revoked")
                # Methods answer as the workspace whose token was used (auth.test, users.info).
                self._caller_token = token
                return {"ok": True, **handler(self, params)}
        except _ApiError as error:
            return {"ok": False, "error": error.code}

    # ---- methods (called with the lock held) -----------------------------------------------

    def _resolve_channel(self, channel: Any) -> str:
        if not channel or not isinstance(channel, str):
            raise _ApiError("channel_not_found")
        # Slack accepts a user id for chat.* and posts into the app's DM with that user.
        if channel.startswith(("U", "W")):
            return _dm_id(channel)
        state = self._channels.get(channel)
        if state is not None and not state.exists:
            raise _ApiError("channel_not_found")
        return channel

    def _require_member(self, channel: str) -> None:
        state = self._channels.get(channel)
        if state is not None and not state.member:
            raise _ApiError("not_in_channel")

    def _find_message(self, channel: str, ts: str) -> Message | None:
        for message in self._messages:
            if message.channel == channel and message.ts == ts:
                return message
        return None

    def _message_dict(self, message: Message, *, include_metadata: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "ts": message.ts, "text": message.text}
        if message.user:
            out["user"] = message.user
        if message.bot_id:
            out["bot_id"] = message.bot_id
            out["app_id"] = "A1"
        out["team"] = self.team_id
        if message.username:
            out["username"] = message.username
        if message.thread_ts:
            out["thread_ts"] = message.thread_ts
            if message.is_reply:
                parent = self._find_message(message.channel, message.thread_ts)
                if parent is not None and parent.user:
                    out["parent_user_id"] = parent.user
                if message.reply_broadcast:
                    out["subtype"] = "thread_broadcast"
        replies = [
            m
            for m in self._messages
            if m.channel == message.channel and m.is_reply and m.thread_ts == message.ts
        ]
        if replies and not message.is_reply:
            out["thread_ts"] = message.ts
            out["reply_count"] = len(replies)
            out["reply_users"] = sorted({r.user for r in replies if r.user})
            out["latest_reply"] = replies[-1].ts
        if message.blocks is not None:
            out["blocks"] = copy.deepcopy(message.blocks)
        if message.attachments is not None:
            out["attachments"] = copy.deepcopy(message.attachments)
        if message.metadata is not None and include_metadata:
            out["metadata"] = copy.deepcopy(message.metadata)
        if message.history:
            out["edited"] = {"user": message.user, "ts": message.history[-1]["edited_ts"]}
        return out

    def _m_api_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"args": params}

    def _m_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        team = self._installed_by_token.get(self._caller_token or "")
        if team is not None:
            return {
                "url": f"https://{team.team_id.lower()}.slack.com/",
                "team": team.team_name,
                "user": "casekeeper",
                "team_id": team.team_id,
                "user_id": team.bot_user_id,
                "bot_id": team.bot_id,
                "is_enterprise_install": False,
            }
        return {
            "url": "https://casekeeper-test.slack.com/",
            "team": "Casekeeper Test",
            "user": "casekeeper",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _content(self, params: dict[str, Any]) -> tuple[str, list[Any] | None, list[Any] | None]:
        text = params.get("text")
        blocks = params.get("blocks")
        attachments = params.get("attachments")
        if blocks is not None and not isinstance(blocks, list):
            raise _ApiError("invalid_blocks")
        if attachments is not None and not isinstance(attachments, list):
            raise _ApiError("invalid_attachments")
        return (text if isinstance(text, str) else ("" if text is None else str(text))), blocks, attachments

    def _m_chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        self._require_member(channel)
        text, blocks, attachments = self._content(params)
        if not text and not blocks and not attachments:
            raise _ApiError("no_text")
        metadata = params.get("metadata")
        if metadata is not None and not (isinstance(metadata, dict) and "event_type" in metadata):
            raise _ApiError("invalid_metadata_format")
        thread_ts = params.get("thread_ts") or None
        message = Message(
            channel=channel,
            ts=self.ts_clock.next(),
            text=text,
            blocks=copy.deepcopy(blocks),
            thread_ts=str(thread_ts) if thread_ts else None,
            metadata=copy.deepcopy(metadata),
            user=self.bot_user_id,
            bot_id=self.bot_id,
            reply_broadcast=_truthy(params.get("reply_broadcast", False)),
            username=params.get("username"),
            icon_emoji=params.get("icon_emoji"),
            attachments=copy.deepcopy(attachments),
            params=copy.deepcopy(params),
        )
        self._messages.append(message)
        return {"channel": channel, "ts": message.ts, "message": self._message_dict(message)}

    def _m_chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        self._require_member(channel)
        user = params.get("user")
        if not user:
            raise _ApiError("user_not_in_channel")
        text, blocks, attachments = self._content(params)
        if not text and not blocks and not attachments:
            raise _ApiError("no_text")
        message_ts = self.ts_clock.next()
        thread_ts = params.get("thread_ts") or None
        self._ephemerals.append(
            Ephemeral(
                channel,
                str(user),
                text,
                copy.deepcopy(blocks),
                str(thread_ts) if thread_ts else None,
                message_ts,
            )
        )
        return {"message_ts": message_ts}

    def _m_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        message = self._find_message(channel, str(params.get("ts") or ""))
        if message is None:
            raise _ApiError("message_not_found")
        text, blocks, attachments = self._content(params)
        if "text" not in params and blocks is None and attachments is None and "metadata" not in params:
            raise _ApiError("no_text")
        message.history.append(
            {
                "text": message.text,
                "blocks": copy.deepcopy(message.blocks),
                "metadata": copy.deepcopy(message.metadata),
                "at": time.time(),
                "edited_ts": self.ts_clock.next(),
            }
        )
        # Slack keeps whatever the update leaves out (blocks, metadata) and replaces what it names.
        if "text" in params:
            message.text = text
        if blocks is not None:
            message.blocks = copy.deepcopy(blocks)
        if attachments is not None:
            message.attachments = copy.deepcopy(attachments)
        if "metadata" in params:
            message.metadata = copy.deepcopy(params["metadata"])
        return {
            "channel": channel,
            "ts": message.ts,
            "text": message.text,
            "message": self._message_dict(message),
        }

    def _m_chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        message = self._find_message(channel, str(params.get("ts") or ""))
        if message is None:
            raise _ApiError("message_not_found")
        self._messages.remove(message)
        return {"channel": channel, "ts": message.ts}

    def _m_chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("message_ts") or "")
        if not ts:
            raise _ApiError("message_not_found")
        return {"channel": channel, "permalink": f"{self.root_url}/archives/{channel}/p{ts.replace('.', '')}"}

    def _m_reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        timestamp = str(params.get("timestamp") or "")
        name = str(params.get("name") or "")
        if not timestamp:
            raise _ApiError("no_item_specified")
        if not name:
            raise _ApiError("invalid_name")
        # The reacted-to message is often a person's reply the stand-in never saw, so it is not
        # required to exist here.
        reaction = Reaction(channel, timestamp, name)
        if reaction in self._reactions:
            raise _ApiError("already_reacted")
        self._reactions.append(reaction)
        return {}

    def _m_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user") or "")
        if not user_id.startswith(("U", "W")):
            raise _ApiError("user_not_found")
        user = self._users.get(user_id) or _User(
            user_id, user_id.lower(), user_id.lower().title(), self.default_tz
        )
        zone = ZoneInfo(user.tz)
        now = datetime.now(zone)
        offset = now.utcoffset()
        team_id = self.team_of(self._caller_token) or self.team_id
        return {
            "user": {
                "id": user.id,
                "team_id": team_id,
                "name": user.name,
                "deleted": False,
                "real_name": user.real_name,
                "tz": user.tz,
                "tz_label": now.tzname() or user.tz,
                "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
                "is_bot": user.is_bot,
                "is_admin": False,
                "is_app_user": False,
                "profile": {
                    "real_name": user.real_name,
                    "real_name_normalized": user.real_name,
                    "display_name": user.name,
                    "display_name_normalized": user.name,
                    "email": user.email or f"{user.name}@example.com",
                    "team": self.team_id,
                },
            }
        }

    def _m_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            return {"channel": {"id": str(params["channel"])}}
        users = params.get("users")
        if isinstance(users, str):
            users = [u.strip() for u in users.split(",") if u.strip()]
        if not users:
            raise _ApiError("users_list_not_supplied")
        for user in users:
            if not str(user).startswith(("U", "W")):
                raise _ApiError("user_not_found")
        if len(users) == 1:
            return {"channel": {"id": _dm_id(users[0]), "is_im": True, "user": users[0]}}
        digest = hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:10].upper()
        return {"channel": {"id": "G" + digest, "is_mpim": True}}

    def _m_conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        if not channel:
            raise _ApiError("channel_not_found")
        if channel.startswith(("D", "G", "U")):
            raise _ApiError("method_not_supported_for_channel_type")
        state = self._channels.setdefault(channel, _Channel())
        if not state.exists:
            raise _ApiError("channel_not_found")
        state.member = True
        return {
            "channel": {
                "id": channel,
                "name": state.name or channel.lower(),
                "is_channel": True,
                "is_member": True,
            }
        }

    def _readable_channel(self, params: dict[str, Any]) -> str:
        channel = self._resolve_channel(params.get("channel"))
        self._require_member(channel)
        return channel

    def _m_conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._readable_channel(params)
        include_metadata = _truthy(params.get("include_all_metadata", False))
        selected = [
            m
            for m in self._messages
            if m.channel == channel and (not m.is_reply or m.reply_broadcast) and _in_window(m.ts, params)
        ]
        selected.reverse()  # newest first, as Slack returns history
        selected = selected[: _limit(params)]
        return {
            "messages": [self._message_dict(m, include_metadata=include_metadata) for m in selected],
            "has_more": False,
            "pin_count": 0,
            "response_metadata": {"next_cursor": ""},
        }

    def _m_conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._readable_channel(params)
        ts = str(params.get("ts") or "")
        if not ts:
            raise _ApiError("thread_not_found")
        include_metadata = _truthy(params.get("include_all_metadata", False))
        # Slack always puts the parent first, whatever oldest/latest say.
        parent = self._find_message(channel, ts)
        replies = [
            m
            for m in self._messages
            if m.channel == channel and m.is_reply and m.thread_ts == ts and _in_window(m.ts, params)
        ]
        found = ([parent] if parent else []) + replies
        found = found[: _limit(params)]
        return {
            "messages": [self._message_dict(m, include_metadata=include_metadata) for m in found],
            "has_more": False,
            "response_metadata": {"next_cursor": ""},
        }

    def _m_views(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view")
        if not isinstance(view, dict):
            raise _ApiError("invalid_arguments")
        with self._lock:
            self._counter += 1
            view_id = f"V{self._counter:08d}"
        return {"view": {**copy.deepcopy(view), "id": view_id, "team_id": self.team_id}}

    def _m_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        result = self._m_views(params)
        self._views.append(Call("views.open", copy.deepcopy(params), time.time(), 200))
        return result

    def _m_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        result = self._m_views(params)
        self._views.append(Call("views.publish", copy.deepcopy(params), time.time(), 200))
        return result


_METHODS: dict[str, Callable[[FakeSlackAPI, dict[str, Any]], dict[str, Any]]] = {
    "api.test": FakeSlackAPI._m_api_test,
    "auth.test": FakeSlackAPI._m_auth_test,
    "chat.postMessage": FakeSlackAPI._m_chat_post_message,
    "chat.postEphemeral": FakeSlackAPI._m_chat_post_ephemeral,
    "chat.update": FakeSlackAPI._m_chat_update,
    "chat.delete": FakeSlackAPI._m_chat_delete,
    "chat.getPermalink": FakeSlackAPI._m_chat_get_permalink,
    "reactions.add": FakeSlackAPI._m_reactions_add,
    "users.info": FakeSlackAPI._m_users_info,
    "conversations.open": FakeSlackAPI._m_conversations_open,
    "conversations.join": FakeSlackAPI._m_conversations_join,
    "conversations.history": FakeSlackAPI._m_conversations_history,
    "conversations.replies": FakeSlackAPI._m_conversations_replies,
    "views.open": FakeSlackAPI._m_views_open,
    "views.publish": FakeSlackAPI._m_views_publish,
}


def _in_window(ts: str, params: dict[str, Any]) -> bool:
    """Slack's oldest/latest bounds: exclusive unless inclusive=true."""
    value = ts_micros(ts)
    if value is None:
        return False
    inclusive = _truthy(params.get("inclusive", False))
    oldest = ts_micros(params.get("oldest"))
    latest = ts_micros(params.get("latest"))
    if oldest is not None and (value < oldest or (value == oldest and not inclusive)):
        return False
    return not (latest is not None and (value > latest or (value == latest and not inclusive)))


def _limit(params: dict[str, Any]) -> int:
    try:
        limit = int(params.get("limit") or 100)
    except (TypeError, ValueError):
        limit = 100
    return max(1, min(limit, 1000))


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _basic(header: str | None) -> tuple[str, str] | None:
    """HTTP Basic credentials (how slack_sdk sends client_id:client_secret to oauth.v2.access)."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password


def _parse_params(query: str, raw: bytes, content_type: str) -> dict[str, Any]:
    """Web API arguments from the query string and a form or JSON body, as one dict."""
    params: dict[str, Any] = _form(query)
    if raw:
        if "application/json" in content_type.lower():
            body = json.loads(raw.decode("utf-8"))
            if not isinstance(body, dict):
                raise ValueError("JSON body must be an object")
            params.update(body)
        else:
            params.update(_form(raw.decode("utf-8")))
    for key in _JSON_ARGUMENTS & params.keys():
        value = params[key]
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                decoded = json.loads(value)
            except ValueError:
                continue
            if isinstance(decoded, list | dict):
                params[key] = decoded
    return params


def _form(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, values in urllib.parse.parse_qs(text, keep_blank_values=True).items():
        out[key] = values[0] if len(values) == 1 else values
    return out


def _send(
    request: _Handler, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
) -> None:
    try:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(body)
    except OSError:
        pass  # the client hung up (its own timeout); nothing to tell it


def _send_json(
    request: _Handler, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    _send(request, status, json.dumps(payload).encode("utf-8"), "application/json; charset=utf-8", headers)


def _reset_connection(request: _Handler) -> None:
    # SO_LINGER with a zero timeout turns close() into a TCP RST, which is what a client sees
    # when a load balancer or the network drops a connection mid-request.
    request.close_connection = True
    try:
        request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        request.connection.close()
    except OSError:
        pass


# --------------------------------------------------------------------------------------------
# Socket Mode: Slack's end of the WebSocket
# --------------------------------------------------------------------------------------------


class SocketModeServer:
    """Slack's Socket Mode on 127.0.0.1. `apps.connections.open` hands out a one-use
    ws:// URL; a client that connects is greeted with `hello`, then gets the envelopes a test
    pushes, and answers each with an ack (`{"envelope_id", "payload"?}`) kept for the test.

    The WebSocket protocol itself (handshake, framing, ping/pong, close) is left to the
    `websockets` library rather than written here, imported only when a client first asks for
    a connection, so `make demo` and the HTTP tests run without it."""

    def __init__(self, app_id: str):
        self.app_id = app_id
        # Guards the state below; notified whenever a connection or an ack comes or goes.
        self._lock = threading.Condition()
        self._server: Any = None
        self._tickets: set[str] = set()
        self._connections: list[Any] = []
        self._opened = 0
        self._acks: dict[str, dict[str, Any]] = {}

    def new_url(self) -> str:
        ticket = uuid.uuid4().hex
        with self._lock:
            if self._server is None:
                self._server = self._start()
            self._tickets.add(ticket)
            port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket={ticket}"

    def _start(self) -> Any:
        from websockets.sync.server import serve

        server = serve(self._serve, "127.0.0.1", 0, process_request=self._check_ticket, close_timeout=1)
        threading.Thread(target=server.serve_forever, name="fake-slack-socket", daemon=True).start()
        return server

    def stop(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.shutdown()  # closes every connection (1001 going away) and waits for them

    @property
    def connections(self) -> int:
        """How many are open now."""
        with self._lock:
            return len(self._connections)

    @property
    def connections_opened(self) -> int:
        """How many were ever opened (a reconnect adds one)."""
        with self._lock:
            return self._opened

    def push(self, kind: str, payload: dict[str, Any], *, retry_attempt: int | None = None) -> str:
        """Send an envelope ("slash_commands", "events_api", "interactive") to the newest
        connection, as Slack picks one of the app's connections; its envelope_id."""
        envelope: dict[str, Any] = {
            "envelope_id": str(uuid.uuid4()),
            "type": kind,
            "payload": payload,
            # Slack takes a response payload in the ack of commands and interactions only.
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = "timeout" if retry_attempt else ""
        with self._lock:
            if not self._connections:
                raise AssertionError("no Socket Mode connection is open")
            connection = self._connections[-1]
        connection.send(json.dumps(envelope))
        return str(envelope["envelope_id"])

    def ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The client's ack of an envelope, once it arrives."""
        with self._lock:
            if not self._lock.wait_for(lambda: envelope_id in self._acks, timeout):
                raise AssertionError(f"envelope {envelope_id} was not acked within {timeout}s")
            return copy.deepcopy(self._acks[envelope_id])

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's notice that it will close the connections soon: clients open new ones."""
        notice = json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}})
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.send(notice)

    def _check_ticket(self, connection: Any, request: Any) -> Any:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.path).query)
        ticket = (query.get("ticket") or [""])[0]
        with self._lock:
            if ticket in self._tickets:
                self._tickets.discard(ticket)
                return None
        return connection.respond(401, "unknown or used ticket\n")

    def _serve(self, connection: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        with self._lock:
            count = len(self._connections) + 1
        hello = {
            "type": "hello",
            "num_connections": count,
            "connection_info": {"app_id": self.app_id},
            "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
        }
        try:
            connection.send(json.dumps(hello))
            with self._lock:
                self._connections.append(connection)
                self._opened += 1
                self._lock.notify_all()
            for text in connection:
                self._record_ack(text)
        except ConnectionClosed:
            pass  # the client went away without a close handshake, as slack_sdk's does
        finally:
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)
                self._lock.notify_all()

    def _record_ack(self, text: str | bytes) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return
        if isinstance(message, dict) and message.get("envelope_id"):
            with self._lock:
                self._acks[str(message["envelope_id"])] = message
                self._lock.notify_all()


# --------------------------------------------------------------------------------------------
# Slack calling the bot
# --------------------------------------------------------------------------------------------


def sign(signing_secret: str, body: bytes, timestamp: int) -> str:
    """Slack's request signature: v0= + hex HMAC-SHA256 over "v0:<timestamp>:<body>"."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(signing_secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


@dataclass
class Reply:
    status: int
    body: str
    json: dict[str, Any] | None
    headers: HeaderMessage
    elapsed: float


class SlackEventsClient:
    """Sends the bot what Slack would: signed slash commands and Events API callbacks."""

    VERIFICATION_TOKEN = "legacy-verification-token"
    APP_ID = "A1"

    def __init__(
        self,
        bot_url: str,
        signing_secret: str,
        team_id: str = "T1",
        api: FakeSlackAPI | None = None,
        timestamp_func: Callable[[], float] = time.time,
        *,
        timeout: float = 30.0,
    ):
        self.bot_url = bot_url.rstrip("/")
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.api = api
        self.timestamp_func = timestamp_func
        self.timeout = timeout
        self.last_event_id: str | None = None
        self.last_ts: str | None = None
        # Share the stand-in's ts sequence so people's messages and the bot's never collide.
        self._ts = api.ts_clock if api is not None else _DEFAULT_TS
        # No proxies: a developer's HTTP(S)_PROXY must not capture requests to 127.0.0.1.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @property
    def events_url(self) -> str:
        return self.bot_url + "/slack/events"

    def next_ts(self) -> str:
        return self._ts.next()

    # ---- transport -------------------------------------------------------------------------

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        headers: dict[str, str | None] | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Reply:
        """POST a raw body to /slack/events, signed unless told otherwise.

        A header given as None in `headers` is left out (to test a missing signature)."""
        stamp = int(self.timestamp_func()) if timestamp is None else timestamp
        if signature is None:
            signature = sign(self.signing_secret, body, stamp)
        all_headers: dict[str, str | None] = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature,
        }
        all_headers.update(headers or {})
        request = urllib.request.Request(self.events_url, data=body, method="POST")
        for name, value in all_headers.items():
            if value is not None:
                request.add_header(name, value)
        started = time.monotonic()
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, raw, reply_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            # Slack treats any answer as an answer; tests assert on 4xx/5xx, so return it.
            status, raw, reply_headers = error.code, error.read(), error.headers
        elapsed = time.monotonic() - started
        text = raw.decode("utf-8", "replace")
        parsed: dict[str, Any] | None = None
        if text.strip():
            try:
                candidate = json.loads(text)
            except ValueError:
                candidate = None
            parsed = candidate if isinstance(candidate, dict) else None
        return Reply(status=status, body=text, json=parsed, headers=reply_headers, elapsed=elapsed)

    # ---- slash commands --------------------------------------------------------------------

    def command(
        self,
        text: str,
        *,
        user: str = "UAGENT",
        channel: str = "C1",
        command: str = "/case",
        user_name: str | None = None,
    ) -> Reply:
        return self._send_command(
            self.command_form(text, user=user, channel=channel, command=command, user_name=user_name)
        )

    def command_form(
        self,
        text: str,
        *,
        user: str = "UAGENT",
        channel: str = "C1",
        command: str = "/case",
        user_name: str | None = None,
    ) -> dict[str, str]:
        """The fields of a slash command as Slack sends them (form-encode to get the body)."""
        if self.api is not None:
            response_url = self.api.response_url("command")
            channel_name = self.api.channel_name(channel)
            user_name = user_name or self.api.user_name(user)
        else:
            response_url = "http://127.0.0.1:9/respond"
            channel_name = "directmessage" if channel.startswith("D") else channel.lower()
            user_name = user_name or user.lower()
        return {
            "token": self.VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": "casekeeper-test",
            "channel_id": channel,
            "channel_name": channel_name,
            "user_id": user,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": self.APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}",
        }

    def _send_command(self, form: dict[str, str]) -> Reply:
        return self.post(urllib.parse.urlencode(form).encode("utf-8"), "application/x-www-form-urlencoded")

    # ---- events ----------------------------------------------------------------------------

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        event_time: int | None = None,
    ) -> Reply:
        event_id = event_id or f"Ev{uuid.uuid4().hex[:10].upper()}"
        self.last_event_id = event_id
        envelope = {
            "token": self.VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "api_app_id": self.APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(self.timestamp_func()) if event_time is None else event_time,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.api.bot_user_id if self.api is not None else "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            # Deprecated by Slack, still required by its published envelope schema.
            "authed_users": [self.api.bot_user_id if self.api is not None else "UBOT"],
            "is_ext_shared_channel": False,
            "event_context": f"4-{uuid.uuid4().hex}",
        }
        return self._send_event(envelope, retry_num)

    def _send_event(self, envelope: dict[str, Any], retry_num: int | None) -> Reply:
        headers: dict[str, str | None] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return self.post(json.dumps(envelope).encode("utf-8"), "application/json", headers=headers)

    def thread_reply(
        self,
        text: str,
        *,
        thread_ts: str,
        user: str = "UAGENT",
        channel: str = "C1",
        ts: str | None = None,
        subtype: str | None = None,
        event_id: str | None = None,
        retry_num: int | None = None,
    ) -> Reply:
        ts = ts or self.next_ts()
        self.last_ts = ts
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": ts,
            "thread_ts": thread_ts,
            "channel_type": _channel_type(channel),
            "event_ts": ts,
            "team": self.team_id,
            "client_msg_id": str(uuid.uuid4()),
        }
        if subtype:
            event["subtype"] = subtype
        return self.event(event, event_id=event_id, retry_num=retry_num)

    def edit_reply(
        self,
        *,
        channel: str,
        ts: str,
        thread_ts: str,
        new_text: str,
        user: str = "UAGENT",
        old_text: str = "",
    ) -> Reply:
        event_ts = self.next_ts()
        event = {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "channel": channel,
            "ts": event_ts,
            "event_ts": event_ts,
            "channel_type": _channel_type(channel),
            "message": {
                "type": "message",
                "user": user,
                "text": new_text,
                "ts": ts,
                "thread_ts": thread_ts,
                "edited": {"user": user, "ts": event_ts},
                "team": self.team_id,
            },
            "previous_message": {
                "type": "message",
                "user": user,
                "text": old_text,
                "ts": ts,
                "thread_ts": thread_ts,
            },
        }
        return self.event(event)

    def delete_reply(
        self, *, channel: str, ts: str, thread_ts: str, user: str = "UAGENT", old_text: str = ""
    ) -> Reply:
        event_ts = self.next_ts()
        event = {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "channel": channel,
            "ts": event_ts,
            "event_ts": event_ts,
            "deleted_ts": ts,
            "channel_type": _channel_type(channel),
            "previous_message": {
                "type": "message",
                "user": user,
                "text": old_text,
                "ts": ts,
                "thread_ts": thread_ts,
            },
        }
        return self.event(event)

    def bot_reply(self, text: str, *, thread_ts: str, channel: str = "C1", bot_id: str = "BOTHER") -> Reply:
        ts = self.next_ts()
        self.last_ts = ts
        event = {
            "type": "message",
            "subtype": "bot_message",
            "text": text,
            "ts": ts,
            "thread_ts": thread_ts,
            "bot_id": bot_id,
            "username": "other-bot",
            "channel": channel,
            "channel_type": _channel_type(channel),
            "event_ts": ts,
        }
        return self.event(event)

    def url_verification(self, challenge: str) -> Reply:
        body = {"token": self.VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return self.post(json.dumps(body).encode("utf-8"), "application/json")


class SocketModeEventsClient(SlackEventsClient):
    """The same commands and events as SlackEventsClient, delivered the Socket Mode way: as
    envelopes over the stand-in's WebSocket. Each call waits for the bot's ack and returns it as
    a Reply whose body is the ack's payload (what an HTTP response body would carry)."""

    def __init__(self, api: FakeSlackAPI, *, timeout: float = 10.0):
        super().__init__("", "", team_id=api.team_id, api=api, timeout=timeout)
        self.socket_mode = api.socket_mode

    def deliver(self, kind: str, payload: dict[str, Any], *, retry_attempt: int | None = None) -> Reply:
        started = time.monotonic()
        envelope_id = self.socket_mode.push(kind, payload, retry_attempt=retry_attempt)
        body = self.socket_mode.ack(envelope_id, self.timeout).get("payload")
        return Reply(
            status=200,
            body=json.dumps(body) if body is not None else "",
            json=body if isinstance(body, dict) else None,
            headers=HeaderMessage(),
            elapsed=time.monotonic() - started,
        )

    def _send_command(self, form: dict[str, str]) -> Reply:
        return self.deliver("slash_commands", form)

    def _send_event(self, envelope: dict[str, Any], retry_num: int | None) -> Reply:
        return self.deliver("events_api", envelope, retry_attempt=retry_num)

    def post(self, *args: Any, **kwargs: Any) -> Reply:
        raise TypeError("Socket Mode has no HTTP requests to the bot: use deliver()")


def _channel_type(channel: str) -> str:
    if channel.startswith("D"):
        return "im"
    if channel.startswith("G"):
        return "group"
    return "channel"
