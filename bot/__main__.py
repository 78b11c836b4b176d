"""`python -m bot [run|web|worker|migrate|demo|report|export]`: see README.md."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence

from dotenv import find_dotenv, load_dotenv

from bot.settings import Settings, SettingsError

log = logging.getLogger("bot")

SLACK_SETUP_HELP = {
    "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-…):"
    " api.slack.com/apps → your app → OAuth & Permissions. To serve several workspaces, set"
    " SLACK_CLIENT_ID and SLACK_CLIENT_SECRET instead (README → 'Several workspaces (OAuth)')",
    "SLACK_SIGNING_SECRET": "api.slack.com/apps → your app → Basic Information"
    " → App Credentials → Signing Secret",
}


# Operator commands with their own options, each in its own module: `python -m bot report
# --help`. Imported only when run, so starting the bot doesn't load them.
OPERATOR_COMMANDS = {"report": "bot.report_cli", "export": "bot.export_cli"}


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in OPERATOR_COMMANDS:
        import importlib

        return int(importlib.import_module(OPERATOR_COMMANDS[arguments[0]]).main(arguments[1:]))
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="casekeeper: keep the promises made to customers"
    )
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "web", "worker", "migrate", "demo"],
        help="run: web + scheduler in one process (default); web: HTTP only; worker: scheduler"
        " and notifications only; migrate: bring the database schema up to date; demo: play a"
        " whole case against a local Slack stand-in. Also: report, export (each has --help)",
    )
    args = parser.parse_args(arguments)
    # The working directory's .env, as documented; not one found by walking up from this file.
    load_dotenv(find_dotenv(usecwd=True), override=False)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"casekeeper: configuration error: {error}", file=sys.stderr)
        return 2

    from bot.logs import configure_logging

    configure_logging(settings.log_format, secrets=settings.secrets())
    if args.command == "demo":
        import importlib

        # The stand-in lives next to the bot in a checkout and is not in the wheel.
        try:
            demo = importlib.import_module("slack_standin.demo")
        except ModuleNotFoundError as error:
            if not (error.name or "").startswith("slack_standin"):
                raise
            print(
                "make demo runs from a checkout of casekeeper:"
                " the Slack stand-in is not installed with the bot",
                file=sys.stderr,
            )
            return 2
        return int(demo.play())
    from storage.db import Database

    db = Database(settings.database_url)
    if args.command == "migrate":
        db.migrate()
        print("casekeeper: database schema is up to date")
        return 0
    missing = settings.missing_for_slack(receives_requests=args.command != "worker")
    if missing:
        _explain_missing(missing)
        return 2
    if settings.is_sqlite:
        # One box, one file: bring the schema up to date ourselves. On PostgreSQL that is the
        # release step's job (`python -m bot migrate`), run once per deploy.
        db.migrate()
    else:
        from storage.schema_check import require_current_schema

        problem = require_current_schema(db)
        if problem:
            print(f"casekeeper: {problem}", file=sys.stderr)
            return 2
    return serve(args.command, settings, db)


def _explain_missing(missing: list[str]) -> None:
    print("casekeeper can't start: Slack credentials are missing.", file=sys.stderr)
    for name in missing:
        print(f"  {name}: {SLACK_SETUP_HELP[name]}", file=sys.stderr)
    print(
        "Put them in .env (copy .env.example) and run `make run` again. README.md → 'Slack app setup'"
        " walks through creating the app from manifest.yml.",
        file=sys.stderr,
    )
    print(
        "No Slack workspace at hand? `make demo` plays a whole case against a local Slack stand-in.",
        file=sys.stderr,
    )


# How long SIGTERM waits in all for requests already received, their follow-up work (posting
# the card, logging the contact) and the notification being sent, before exiting anyway.
# Heroku-style platforms send SIGKILL 30 s after SIGTERM; stay inside that.
SHUTDOWN_GRACE_SECONDS = 25


def _within(deadline: float, work: Callable[[], None], what: str) -> None:
    """Run `work`, but give up waiting for it at `deadline`: a stop must not hang."""
    runner = threading.Thread(target=work, name=f"stop-{what}", daemon=True)
    runner.start()
    runner.join(max(0.0, deadline - time.monotonic()))
    if runner.is_alive():
        log.warning("shutdown.gave_up_waiting on=%s", what)


def serve(command: str, settings: Settings, db) -> int:  # type: ignore[no-untyped-def]
    """Run until SIGTERM/SIGINT, then stop gracefully: stop taking requests, finish the ones
    already taken and the listener work they started, release unsent outbox claims."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.app import LISTENER_THREADS, build_app, build_services
    from bot.clock import SystemClock
    from bot.timeparse import warm_up
    from bot.worker import Worker

    services = build_services(settings, db, SystemClock())
    warm_up()
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        log.info("shutdown.requested signal=%s", signum)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    worker = Worker(services) if command in ("run", "worker") else None
    listeners = ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
    after_ack = ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="after-ack")
    server = None
    socket_handler = None
    if worker is not None:
        worker.start()
    try:
        if command in ("run", "web"):
            app = build_app(services, listener_executor=listeners, after_ack_executor=after_ack)
            if settings.socket_mode:
                from slack_bolt.adapter.socket_mode import SocketModeHandler
                from slack_sdk.errors import SlackApiError

                socket_handler = SocketModeHandler(app, settings.app_token)
                try:
                    socket_handler.connect()
                except SlackApiError as error:
                    print(
                        f"casekeeper: Slack refused SLACK_APP_TOKEN ({error.response.get('error')}):"
                        " use the app-level token with the connections:write scope, from"
                        " api.slack.com/apps → your app → Basic Information → App-Level Tokens",
                        file=sys.stderr,
                    )
                    return 2
                log.info("socket_mode.connected")
            else:
                from bot.web import make_server

                server = make_server(app, db, port=settings.port)
                threading.Thread(target=server.serve, name="http", daemon=True).start()
                log.info("web.listening port=%s path=/slack/events", server.port)
                if settings.oauth:
                    log.info(
                        "oauth.enabled install_path=%s redirect_path=%s",
                        settings.install_path,
                        settings.redirect_uri_path,
                    )
        stop.wait()
    finally:
        # Everything below shares one deadline, inside the platform's SIGKILL (30 s on Heroku).
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
        if server is not None:
            server.shutdown(grace=max(1.0, deadline - time.monotonic() - 5))
        if socket_handler is not None:
            # Envelopes already being handled get their ack before the connection closes;
            # Slack resends any event that arrives from here on and goes unacknowledged.
            _within(deadline, lambda: socket_handler.client.message_workers.shutdown(wait=True), "socket")
            socket_handler.close()
        # Work a request started after its ack (the card, the contact's reaction) finishes.
        _within(deadline, lambda: listeners.shutdown(wait=True), "listeners")
        _within(deadline, lambda: after_ack.shutdown(wait=True), "after-ack work")
        if worker is not None:
            # The notification being sent finishes; claimed but unsent rows go back to pending.
            worker.stop(timeout=max(0.5, deadline - time.monotonic()))
        db.dispose()
        log.info("shutdown.done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
