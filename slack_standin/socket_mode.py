"""Socket Mode: Slack's end of the WebSocket (SocketModeServer, which FakeSlackAPI hands out
through apps.connections.open) and a client that sends the bot commands, events and
interactions over it instead of HTTP (SocketModeEventsClient)."""

from __future__ import annotations

import copy
import json
import threading
import time
import urllib.parse
import uuid
from email.message import Message as HeaderMessage
from typing import TYPE_CHECKING, Any

from slack_standin.events_client.client import SlackEventsClient
from slack_standin.events_client.wire import Reply

if TYPE_CHECKING:
    from slack_standin.web_api.server import FakeSlackAPI


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

    def interactive(self, payload: dict[str, Any]) -> Reply:
        return self.deliver("interactive", payload)

    def post(self, *args: Any, **kwargs: Any) -> Reply:
        raise TypeError("Socket Mode has no HTTP requests to the bot: use deliver()")
