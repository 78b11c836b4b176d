"""FakeSlackAPI: the Slack Web API on 127.0.0.1, in memory. This module starts and stops it,
routes each HTTP request and dispatches Web API methods; each family of methods is a mixin in
its own module of this package."""

from __future__ import annotations

import copy
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from slack_standin.rate_limits import RateLimiter
from slack_standin.records import Call, TsClock
from slack_standin.socket_mode import SocketModeServer
from slack_standin.web_api.conversations import ConversationsMixin
from slack_standin.web_api.faults import FaultsMixin
from slack_standin.web_api.http import (
    Handler,
    Server,
    bearer_token,
    parse_params,
    send,
    send_json,
)
from slack_standin.web_api.messages import MessagesMixin
from slack_standin.web_api.responses import ResponseUrlMixin
from slack_standin.web_api.sign_in import AUTHORIZE_PATH, SignInMixin
from slack_standin.web_api.state import ApiError, Channel, Rejected, User
from slack_standin.web_api.views import ViewsMixin
from slack_standin.web_api.workspaces import WorkspacesMixin


class FakeSlackAPI(
    FaultsMixin,
    WorkspacesMixin,
    SignInMixin,
    MessagesMixin,
    ConversationsMixin,
    ViewsMixin,
    ResponseUrlMixin,
):
    """The Slack Web API on 127.0.0.1, in memory. See the package docstring."""

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
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._users: dict[str, User] = {}
        self._channels: dict[str, Channel] = {}
        self._counter = 0
        # How long a trigger_id stays good. Slack's expire after 3 seconds; None never expires.
        self.trigger_ttl: float | None = 3.0
        # Off unless a test or a benchmark asks (enforce_rate_limits).
        self._limiter: RateLimiter | None = None
        self._limit_clock: Callable[[], float] = time.monotonic
        self._clear_recorded()
        self._init_workspaces()
        self._init_sign_in()
        self.socket_mode = SocketModeServer(app_id="A1")

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlackAPI:
        if self._server is not None:
            return self
        server = Server(("127.0.0.1", 0), Handler)
        server.api = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-slack", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.socket_mode.stop()
        with self._lock:
            holds = list(self._holds)
        for hold in holds:
            hold.release()
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

    # ---- recorded calls --------------------------------------------------------------------

    def call_count(self, method: str | None = None, *, status: int | None = None) -> int:
        """How many calls (of `method`, answered with `status`), without copying them."""
        with self._lock:
            return sum(
                1
                for c in self._calls
                if (method is None or c.method == method) and (status is None or c.status == status)
            )

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [copy.deepcopy(c) for c in self._calls if method is None or c.method == method]

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

    def _handle(self, request: Handler) -> None:
        arrived = time.time()
        url = urllib.parse.urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length > 0 else b""

        if url.path.startswith("/respond/") and request.command == "POST":
            self._handle_response_url(request, url.path, raw, arrived)
            return
        if url.path == AUTHORIZE_PATH and request.command == "GET":
            self._answer_authorize(request, url.query)
            return
        if not url.path.startswith("/api/"):
            send(request, 404, b"not found", "text/plain")
            return

        method = url.path[len("/api/") :].strip("/")
        try:
            params = parse_params(url.query, raw, request.headers.get("Content-Type", ""))
        except ValueError:
            params = {}
            self._record(method, params, arrived, 200, "invalid_json")
            send_json(request, 200, {"ok": False, "error": "invalid_json"})
            return
        if method == "oauth.v2.access":
            self._answer_oauth_v2_access(request, params, arrived)
            return
        if method == "openid.connect.token":
            self._answer_openid_token(request, params, arrived)
            return
        token = bearer_token(request.headers.get("Authorization")) or params.pop("token", None)
        if self._answered_by_fault(request, method, params, token, arrived):
            return
        self._answer_method(request, method, params, token, arrived)

    def _answer_method(
        self, request: Handler, method: str, params: dict[str, Any], token: str | None, arrived: float
    ) -> None:
        """The method's answer, once no fault or limit stood in the way; after the answer delay
        a test asked for (delay_answer)."""
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
        send_json(request, 200, result)

    def _open_socket_connection(self, token: str | None) -> dict[str, Any]:
        """apps.connections.open takes only an app-level token; the bot's xoxb- is refused."""
        if not token:
            return {"ok": False, "error": "not_authed"}
        if not str(token).startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": self.socket_mode.new_url()}

    def _dispatch(self, method: str, params: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        handler = _METHODS.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        try:
            with self._lock:
                if token in self._revoked_tokens:
                    raise ApiError("token_revoked")
                # Methods answer as the workspace whose token was used (auth.test, users.info).
                self._caller_token = token
                return {"ok": True, **handler(self, params)}
        except Rejected as error:
            self.reject(method, error.code, "; ".join(error.problems), params)
            return {"ok": False, "error": error.code, "response_metadata": {"messages": error.problems}}
        except ApiError as error:
            return {"ok": False, "error": error.code}


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
    "conversations.info": FakeSlackAPI._m_conversations_info,
    "conversations.members": FakeSlackAPI._m_conversations_members,
    "views.open": FakeSlackAPI._m_views_open,
    "views.publish": FakeSlackAPI._m_views_publish,
    "views.push": FakeSlackAPI._m_views_push,
    "views.update": FakeSlackAPI._m_views_update,
}
