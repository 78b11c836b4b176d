"""Running one process until it is told to stop: the HTTP server (or the Socket Mode connection)
and the worker, as the command asks, then a graceful stop inside the platform's deadline."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.app.build import LISTENER_THREADS, build_app, build_dashboard, build_services
from bot.app.child_worker import ChildWorker, follow_parent, is_child
from bot.app.health import Probes, ProbeServer
from bot.app.settings import Settings
from bot.app.web import HttpServer, make_server
from bot.app.worker import Worker
from bot.clock import SystemClock
from bot.timeparse import warm_up
from storage.db import Database

log = logging.getLogger("bot")

# How long SIGTERM waits in all for requests already received, their follow-up work (posting
# the card, logging the contact) and the notification being sent, before exiting anyway.
# Heroku-style platforms send SIGKILL 30 s after SIGTERM; stay inside that.
SHUTDOWN_GRACE_SECONDS = 25


def serve(command: str, settings: Settings, db: Database) -> int:
    """Run until SIGTERM/SIGINT, then stop gracefully: stop taking requests, finish the ones
    already taken and the listener work they started, release unsent outbox claims."""
    process = Process(command, settings, db)
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        log.info("shutdown.requested signal=%s", signum)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    if command == "worker" and is_child() and process.worker is not None:
        follow_parent(process.worker.events.wake, stop)
    try:
        failed = process.start()
        if failed is not None:
            return failed
        stop.wait()
    finally:
        process.stop()
    return 0


class Process:
    """One process's parts: started in order, stopped in reverse within one deadline."""

    def __init__(self, command: str, settings: Settings, db: Database):
        self.command = command
        self.settings = settings
        self.db = db
        self.services = build_services(settings, db, SystemClock())
        # `run` keeps its worker in a child process (bot/app/child_worker.py), except on an
        # in-memory SQLite database, which another process can't see.
        self.child = None
        if command == "run" and not _in_memory(settings.database_url):
            child_env = {"SLACK_BOT_TOKEN": settings.bot_token} if settings.bot_token else {}
            if not settings.socket_mode and settings.worker_port == settings.port:
                # PORT is this process's: the worker's probes stay off rather than clash with it.
                child_env["WORKER_PORT"] = "off"
            self.child = ChildWorker(child_env)
        in_here = command == "worker" or (command == "run" and self.child is None)
        self.worker = Worker(self.services) if in_here else None
        self.listeners = ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
        self.server: HttpServer | None = None
        self.socket_handler: Any = None
        # /metrics, /healthz, /readyz: on PORT with the web server, else on WORKER_PORT.
        self.probes = Probes(self.services, stalled_after=settings.dispatcher_stalled_after)
        self.probe_server: ProbeServer | None = None

    def start(self) -> int | None:
        """None once running; an exit status when it can't start."""
        failed = self._start()
        # `run`'s worker last, once PORT is this process's: what was recorded meanwhile waits
        # in the inbox for it.
        if failed is None and self.child is not None:
            self.child.start()
        return failed

    def _start(self) -> int | None:
        warm_up()
        if self.worker is not None:
            self.worker.start()
        if self.command not in ("run", "web"):
            self._serve_probes()
            return None
        app = build_app(
            self.services, self.settings, listener_executor=self.listeners, wake_events=self._wake_events()
        )
        if self.settings.socket_mode:
            failed = self._connect_socket_mode(app)
            if failed is None:
                self._serve_probes()
                self._serve_dashboard(app)
            return failed
        self.server = make_server(
            app,
            self.db,
            port=self.settings.port,
            probes=self.probes,
            dashboard=build_dashboard(self.services, self.settings),
        )
        threading.Thread(target=self.server.serve, name="http", daemon=True).start()
        log.info("web.listening port=%s path=/slack/events", self.server.port)
        if self.settings.oauth:
            log.info(
                "oauth.enabled install_path=%s redirect_path=%s",
                self.settings.install_path,
                self.settings.redirect_uri_path,
            )
        return None

    def _wake_events(self) -> Callable[[], None]:
        """Who to tell that an event was recorded: the child worker, this process's own, or
        nobody (`web`: the workers poll the inbox)."""
        if self.child is not None:
            return self.child.wake
        if self.worker is not None:
            return self.worker.events.wake
        return lambda: None

    def _serve_probes(self) -> None:
        """No web server here (a worker, Socket Mode): the probes get one of their own. Not for
        `run`'s Socket Mode side: its child worker serves them on WORKER_PORT."""
        if self.settings.worker_port is not None and self.child is None:
            self.probe_server = ProbeServer(self.probes, self.settings.worker_port)

    def _serve_dashboard(self, app: Any) -> None:
        """Socket Mode: no endpoint for Slack, but the dashboard (and the probes) on PORT. A port
        already taken costs the dashboard only: Slack's side runs over the socket regardless."""
        try:
            self.server = make_server(
                app,
                self.db,
                port=self.settings.port,
                probes=self.probes,
                dashboard=build_dashboard(self.services, self.settings),
                slack_endpoint=False,
            )
        except OSError as error:
            log.warning(
                "dashboard.port_unavailable port=%s error=%s: no dashboard", self.settings.port, error
            )
            return
        threading.Thread(target=self.server.serve, name="http", daemon=True).start()
        log.info(
            "web.listening port=%s path=/dashboard (Socket Mode: Slack's requests come over the socket)",
            self.server.port,
        )

    def _connect_socket_mode(self, app: Any) -> int | None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler
        from slack_sdk.errors import SlackApiError

        self.socket_handler = SocketModeHandler(app, self.settings.app_token)
        try:
            self.socket_handler.connect()
        except SlackApiError as error:
            print(
                f"casekeeper: Slack refused SLACK_APP_TOKEN ({error.response.get('error')}):"
                " use the app-level token with the connections:write scope, from"
                " api.slack.com/apps → your app → Basic Information → App-Level Tokens",
                file=sys.stderr,
            )
            return 2
        except OSError as error:  # no network, DNS, a proxy: URLError and socket errors alike
            reason = getattr(error, "reason", None) or error
            print(
                f"casekeeper: can't reach Slack to open the Socket Mode connection ({reason}):"
                " check this machine's network, proxy or SLACK_API_URL, then start it again",
                file=sys.stderr,
            )
            return 2
        log.info("socket_mode.connected")
        return None

    def stop(self) -> None:
        # Everything below shares one deadline, inside the platform's SIGKILL (30 s on Heroku).
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
        if self.server is not None:
            self.server.shutdown(grace=max(1.0, deadline - time.monotonic() - 5))
        handler = self.socket_handler
        if handler is not None:
            # Envelopes already being handled get their ack before the connection closes;
            # Slack resends any event that arrives from here on and goes unacknowledged.
            _within(deadline, lambda: handler.client.message_workers.shutdown(wait=True), "socket")
            handler.close()
        # Work a request started after its ack (the card, the contact's reaction) finishes;
        # events not yet handled stay in the inbox for the next process.
        _within(deadline, lambda: self.listeners.shutdown(wait=True), "listeners")
        _within(deadline, lambda: self.services.stop_lanes(max(0.0, deadline - time.monotonic())), "lanes")
        if self.worker is not None:
            # The notification being sent finishes; claimed but unsent rows go back to pending.
            self.worker.stop(timeout=max(0.5, deadline - time.monotonic()))
        if self.child is not None:
            # Last: events recorded until the server stopped have been handed to it.
            self.child.stop(deadline)
        if self.probe_server is not None:
            self.probe_server.close()
        self.db.dispose()
        log.info("shutdown.done")


def _within(deadline: float, work: Callable[[], None], what: str) -> None:
    """Run `work`, but give up waiting for it at `deadline`: a stop must not hang."""
    runner = threading.Thread(target=work, name=f"stop-{what}", daemon=True)
    runner.start()
    runner.join(max(0.0, deadline - time.monotonic()))
    if runner.is_alive():
        log.warning("shutdown.gave_up_waiting on=%s", what)


def _in_memory(database_url: str) -> bool:
    return database_url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in database_url
