"""The baseline app for acknowledgement latency: Bolt with its default middleware and one
handler per request kind that only acks, served by casekeeper's own server (bot/app/web.py)."""

from __future__ import annotations

import os
import signal
import threading

from slack_bolt import App
from slack_sdk import WebClient

from bot.app.web import make_server
from storage.db import Database


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

    db = Database(f"sqlite:///{os.environ['BARE_DB']}")
    server = make_server(app, db, host="127.0.0.1", port=int(os.environ["PORT"]))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=server.serve, daemon=True).start()
    stop.wait()
    server.shutdown(grace=5)


if __name__ == "__main__":
    main()
