"""The HTTP side: POST /slack/events to Bolt, GET /healthz, served by waitress (a production
WSGI server with a thread pool; Bolt's own server is for development only)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

from storage.db import Database

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HTTP_THREADS = 16


def wsgi_app(app: App, db: Database) -> Callable[..., Iterable[bytes]]:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            healthy = db.ping()
            body = b"ok\n" if healthy else b"database unreachable\n"
            start_response(
                "200 OK" if healthy else "503 Service Unavailable",
                [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return slack(environ, start_response)

    return application


def make_server(app: App, db: Database, *, host: str = "0.0.0.0", port: int = 3000) -> Any:
    """A waitress server, not yet running: call .run() (blocks) and .close() to stop."""
    return create_server(wsgi_app(app, db), host=host, port=port, threads=HTTP_THREADS, ident="casekeeper")
