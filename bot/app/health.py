"""The operator's endpoints, beside Slack's: GET /metrics (bot/app/metrics.py), GET /healthz (alive:
the database answers) and GET /readyz (ready: the database answers and, in a process running the
dispatcher's loop, that loop finished a pass lately; 503 with the reason otherwise). The web
process serves them on PORT, in front of Bolt and without a signature; a process that doesn't
serve PORT (the worker, Socket Mode) on WORKER_PORT, with a small server of its own."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from waitress.server import create_server

from bot.app.metrics import CONTENT_TYPE, Metrics
from handlers.services import Services

log = logging.getLogger(__name__)

PATHS = ("/metrics", "/healthz", "/readyz")


class Probes:
    """What this process answers on /metrics, /healthz and /readyz."""

    def __init__(self, services: Services, *, stalled_after: timedelta = timedelta(seconds=30)):
        self.services = services
        self.stalled_after = stalled_after
        self.metrics = Metrics(services)

    def not_ready(self) -> str | None:
        """Why this process should get no traffic, or None when it is ready."""
        if not self.services.db.ping():
            return "database unreachable"
        dispatcher = self.services.dispatcher
        if not dispatcher.loop_started:
            return None
        since = dispatcher.seconds_since_pass()
        if since is None:
            return "dispatcher is not running"
        if since > self.stalled_after.total_seconds():
            return (
                f"dispatcher has not finished a pass in {int(since)}s"
                f" (DISPATCHER_STALLED_AFTER={int(self.stalled_after.total_seconds())}s)"
            )
        return None

    def answer(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes] | None:
        """The response to one of PATHS (GET or HEAD); None for any other request."""
        path = environ.get("PATH_INFO")
        if path not in PATHS or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        if path == "/metrics":
            return respond(start_response, "200 OK", self.metrics.exposition(), CONTENT_TYPE)
        if path == "/healthz":
            return healthz(self.services.db.ping(), start_response)
        reason = self.not_ready()
        if reason is None:
            return respond(start_response, "200 OK", b"ready\n")
        return respond(start_response, "503 Service Unavailable", reason.encode() + b"\n")

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """The probes alone (the worker's server)."""
        answer = self.answer(environ, start_response)
        if answer is None:
            return respond(start_response, "404 Not Found", b"GET /metrics, /healthz or /readyz\n")
        return answer


def healthz(alive: bool, start_response: Callable[..., Any]) -> list[bytes]:
    if alive:
        return respond(start_response, "200 OK", b"ok\n")
    return respond(start_response, "503 Service Unavailable", b"database unreachable\n")


def respond(
    start_response: Callable[..., Any], status: str, body: bytes, content_type: str = "text/plain"
) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


class ProbeServer:
    """The worker's own small HTTP server for the probes. A port already taken (a second worker
    on the same box, a bot beside it in tests) is said in one log line; the process goes on
    sending without it."""

    def __init__(self, probes: Probes, port: int, host: str = "0.0.0.0"):
        self._server: Any = None
        try:
            self._server = create_server(probes.wsgi, host=host, port=port, threads=2, ident="casekeeper")
        except OSError as error:
            log.warning(
                "probes.port_unavailable port=%s error=%s: /metrics, /healthz and /readyz are not"
                " served by this process, which goes on sending; set WORKER_PORT to a free port",
                port,
                error.strerror or error,
            )
            return
        threading.Thread(target=self._server.run, name="probes", daemon=True).start()
        log.info("probes.listening port=%s paths=/metrics,/healthz,/readyz", self._server.effective_port)

    @property
    def port(self) -> int | None:
        return None if self._server is None else int(self._server.effective_port)

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
