"""The baseline app for acknowledgement latency: Bolt with its default middleware and one
handler per request kind that only acks, served by casekeeper's own server (bot/app/web.py).

With BARE_COMMIT_EVENTS=1 it also commits every event to a SQLite file (WAL, as the bot's)
before its ack: the least any app that keeps what Slack sent it must do, so the bot's thread
replies are compared with an app that does that much and nothing more."""

from __future__ import annotations

import json
import os
import signal
import threading

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from sqlalchemy import text

from bot.app.web import make_server
from storage.db import Database, make_engine


def main() -> None:
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(
        client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"], token_verification_enabled=False
    )

    @app.command("/case")
    def command(ack):  # type: ignore[no-untyped-def]
        ack()

    @app.event("message")
    def message() -> None:
        pass  # Bolt acks events itself

    if os.environ.get("BARE_COMMIT_EVENTS") == "1":
        engine = make_engine(f"sqlite:///{os.environ['BARE_DB']}.events")
        with engine.begin() as connection:
            connection.execute(
                text("CREATE TABLE IF NOT EXISTS events (event_id TEXT PRIMARY KEY, body TEXT)")
            )

        @app.middleware
        def commit_events(body, next):  # type: ignore[no-untyped-def]
            if body.get("type") != "event_callback":
                return next()
            with engine.begin() as connection:
                connection.execute(
                    text("INSERT OR IGNORE INTO events VALUES (:id, :body)"),
                    {"id": body.get("event_id"), "body": json.dumps(body.get("event"))},
                )
            return BoltResponse(status=200, body="")

    db = Database(f"sqlite:///{os.environ['BARE_DB']}")
    server = make_server(app, db, host="127.0.0.1", port=int(os.environ["PORT"]))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=server.serve, daemon=True).start()
    stop.wait()
    server.shutdown(grace=5)


if __name__ == "__main__":
    main()
