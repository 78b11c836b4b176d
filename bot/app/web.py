"""The HTTP side: POST /slack/events to Bolt, GET /metrics, /healthz and /readyz (bot/app/health.py),
the dashboard's pages under /dashboard (bot/dashboard/site.py),
served by waitress (a production WSGI server with a thread pool; Bolt's own server is for
development only)."""

from __future__ import annotations

import io
import logging
import select
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore
from waitress.server import create_server

from bot.app.health import Probes, healthz, respond
from bot.app.metrics import request_kind
from storage.db import Database

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
DASHBOARD_PATH = "/dashboard"
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# The server's limits, all here. Slack is the only client that matters: it sends each request
# whole and at once, a few KiB (a payload carries at most one message or view of ours), and
# gives up on an answer after 3 seconds. Anything else must not cost us much.
#
# Bodies over this are answered 413 from the headers, before anything reads or parses them:
# waitress's own max_request_body_size (it counts the raw bytes of a chunked body as they
# arrive), and wsgi_app() again by CONTENT_LENGTH for any other server in front of Bolt.
MAX_BODY_BYTES = 1024 * 1024
# A connection with no bytes in or out for this long is closed: a request still half-sent after
# 10 s is not Slack's (Slack stopped waiting for our answer 7 s earlier). It also ends idle
# keep-alive connections, so a proxy that pools connections to us must drop them sooner. It is
# well under the 20 s a stop waits for requests (bot/app/serve.py), and the drain applies it
# too (_idle_now). waitress looks for such connections every CLEANUP_INTERVAL: its default,
# 30 s, would let them stay three times the timeout.
CHANNEL_TIMEOUT_SECONDS = 10
CLEANUP_INTERVAL_SECONDS = 1
# Threads that run requests (Bolt, up to its ack).
HTTP_THREADS = 16
# Open connections, counting waitress's own listening socket and wake-up pipe. Below: room for
# connections that are idle or half-sent (scanners, keep-alives, a slow flood) until the timeout
# closes them, beside Slack's own; at waitress's default of 100, about a hundred such kept every
# new connection, /healthz included, waiting in the kernel; 400 leaves room for 200. Above:
# were every connection to carry a request at once, the 16 threads would answer the last one
# after ~2.8 s at the rate bench/RESULTS.md measured (100 thread replies at once: p99 0.7 s),
# so more connections would only queue requests Slack has given up on. And 400 stays within
# 1024 file descriptors (a socket each, plus a temp file for a body over 512 KiB), the most
# waitress's select() loop can watch and a common `ulimit -n`. Memory: up to ~0.75 MiB each
# while a request arrives (headers, then the body until it spills to that temp file).
CONNECTION_LIMIT = 400
# Connections the kernel has completed and the loop not yet accepted: it fills only in a burst
# or while CONNECTION_LIMIT is reached, and a connection waiting there for long is answered
# after Slack gave up anyway. Below the 1000 that shutdown takes in (_stop_accepting), so a
# stop resets none of them.
BACKLOG = 256


def wsgi_app(
    app: App,
    db: Database,
    probes: Probes | None = None,
    dashboard: WsgiApp | None = None,
    *,
    slack_endpoint: bool = True,
) -> Callable[..., Iterable[bytes]]:
    """Slack's requests to Bolt; /metrics, /healthz and /readyz to `probes` before Bolt, with no
    signature (without probes: /healthz only); /dashboard… to the dashboard (bot/dashboard).
    Without `slack_endpoint` (Socket Mode, where Slack's requests come over the socket and
    nothing checks a signature) everything else is 404."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        refusal = _refused_by_size(environ)
        if refusal is not None:
            return _plain_text(start_response, *refusal)
        path = str(environ.get("PATH_INFO", ""))
        if dashboard is not None and (path == DASHBOARD_PATH or path.startswith(DASHBOARD_PATH + "/")):
            return dashboard(environ, start_response)
        if probes is not None:
            answer = probes.answer(environ, start_response)
            if answer is not None:
                return answer
        if not slack_endpoint:
            return _plain_text(start_response, "404 Not Found", b"the dashboard is at /dashboard\n")
        if probes is not None:
            if environ.get("PATH_INFO") == EVENTS_PATH and environ.get("REQUEST_METHOD") == "POST":
                return _timed(slack, probes, environ, start_response)
        elif environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return healthz(db.ping(), start_response)
        return slack(environ, start_response)

    return application


def _timed(
    slack: SlackRequestHandler, probes: Probes, environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    """Bolt's answer to a request from Slack, timed by kind (command, action, event...) for
    /metrics. The body is read first, to tell the kind (its size is checked already)."""
    started = time.monotonic()
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or "0"))
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        return slack(environ, start_response)
    finally:
        kind = request_kind(environ.get("CONTENT_TYPE", ""), body)
        probes.metrics.answered(kind, time.monotonic() - started)


def _plain_text(start_response: Callable[..., Any], status: str, body: bytes) -> list[bytes]:
    return respond(start_response, status, body)


def _refused_by_size(environ: dict[str, Any]) -> tuple[str, bytes] | None:
    """A status and body to refuse the request with, judged by its headers alone: Bolt reads
    CONTENT_LENGTH bytes whole, then decodes and parses them, before it checks the signature."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or "0")
    except ValueError:
        length = -1
    if length < 0:
        return "400 Bad Request", b"bad Content-Length\n"
    if length > MAX_BODY_BYTES:
        return "413 Request Entity Too Large", b"request body over %d bytes\n" % MAX_BODY_BYTES
    return None


class HttpServer:
    """waitress with a graceful stop: on shutdown() it stops accepting, lets every request
    already received finish and its response go out, then closes. waitress's own close()
    only drops the listening socket and leaves in-flight requests to a daemon thread."""

    def __init__(
        self,
        app: App,
        db: Database,
        *,
        host: str = "0.0.0.0",
        port: int = 3000,
        probes: Probes | None = None,
        dashboard: WsgiApp | None = None,
        slack_endpoint: bool = True,
    ):
        self._server = create_server(
            wsgi_app(app, db, probes, dashboard, slack_endpoint=slack_endpoint),
            host=host,
            port=port,
            ident="casekeeper",
            threads=HTTP_THREADS,
            connection_limit=CONNECTION_LIMIT,
            backlog=BACKLOG,
            channel_timeout=CHANNEL_TIMEOUT_SECONDS,
            cleanup_interval=CLEANUP_INTERVAL_SECONDS,
            # waitress refuses a body of this size or more; ours may be MAX_BODY_BYTES exactly.
            max_request_body_size=MAX_BODY_BYTES + 1,
        )
        self._done = threading.Event()
        self._stopping = threading.Lock()
        self._not_accepting = threading.Event()
        self._stopped = False

    @property
    def port(self) -> int:
        return self._server.effective_port

    def serve(self) -> None:
        """Blocks until shutdown() has drained and closed everything."""
        try:
            self._server.run()
        finally:
            self._done.set()

    def shutdown(self, grace: float = 20) -> bool:
        """From another thread. True if every in-flight request finished within `grace`.
        A second call (the process is already stopping) does nothing."""
        with self._stopping:
            if self._stopped:
                return True
            self._stopped = True
        server = self._server
        deadline = time.monotonic() + grace
        # Changes to waitress's socket map must happen on its own loop thread: the trigger
        # runs the function there. Wait for it, or the drain below could start before the
        # connections already accepted by the kernel have been taken in.
        server.trigger.pull_trigger(self._stop_accepting)
        self._not_accepting.wait(grace)
        drained = False
        while time.monotonic() < deadline:
            if self._idle():
                drained = True
                break
            time.sleep(0.05)
        if not drained:
            log.warning("web.shutdown_grace_exceeded grace_s=%s", grace)
        server.trigger.pull_trigger(self._close_all)
        self._done.wait(5)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        return drained

    def _stop_accepting(self) -> None:
        server = self._server
        # Connections the kernel already completed are requests on their way: take them in
        # before closing the listening socket, which would reset them.
        try:
            # Bounded: if accept() keeps failing (out of file descriptors) don't spin forever.
            for _ in range(1000):
                if not select.select([server.socket], [], [], 0)[0]:
                    break
                server.handle_accept()
        finally:
            server.accepting = False
            server.del_channel()
            server.socket.close()
            self._not_accepting.set()

    def _idle(self) -> bool:
        """Asked on waitress's loop thread: from any other thread there is a moment, between the
        loop reading bytes off a socket and parsing them into a request, when a request that has
        arrived is seen nowhere, and closing then drops it."""
        answer: list[bool] = []
        looked = threading.Event()

        def look() -> None:
            try:
                answer.append(self._idle_now())
            finally:
                looked.set()

        self._server.trigger.pull_trigger(look)
        return looked.wait(1) and answer == [True]

    def _idle_now(self) -> bool:
        server = self._server
        # waitress closes timed-out connections only while its listening socket is in the loop:
        # sweep here instead, or a half-sent request would hold the drain for the whole grace.
        server.maintenance(time.time())
        dispatcher = server.task_dispatcher
        with dispatcher.lock:
            busy_threads = dispatcher.active_count
            queued = len(dispatcher.queue)
        if busy_threads or queued:
            return False
        channels = list(server.active_channels.values())
        # A request still arriving, or a finished one whose response is not yet written out,
        # is in flight too.
        if any(
            channel.request is not None or channel.requests or channel.total_outbufs_len
            for channel in channels
        ):
            return False
        # Bytes waiting in a socket the loop has not read yet: a request that has arrived.
        sockets = [channel.socket for channel in channels if channel.socket is not None]
        try:
            return not (sockets and select.select(sockets, [], [], 0)[0])
        except (OSError, ValueError):
            # The loop closed one of them meanwhile (a client went away): look again.
            return False

    def _close_all(self) -> None:
        wasyncore.close_all(self._server._map)


def make_server(
    app: App,
    db: Database,
    *,
    host: str = "0.0.0.0",
    port: int = 3000,
    probes: Probes | None = None,
    dashboard: WsgiApp | None = None,
    slack_endpoint: bool = True,
) -> HttpServer:
    """A server, not yet running: call .serve() (blocks) and .shutdown() from another thread.
    With `probes`, it answers GET /metrics, /healthz and /readyz (bot/app/health.py); with
    `dashboard` (bot/app/build.build_dashboard), the pages under /dashboard."""
    return HttpServer(
        app, db, host=host, port=port, probes=probes, dashboard=dashboard, slack_endpoint=slack_endpoint
    )
