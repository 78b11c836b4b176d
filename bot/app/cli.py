"""`python -m bot [run|web|worker|migrate|demo|report|export]`: see README.md."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bot.app import environment
from bot.app.settings import Settings, SettingsError

log = logging.getLogger("bot")

SLACK_SETUP_HELP = {
    "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-…):"
    " api.slack.com/apps → your app → OAuth & Permissions. To serve several workspaces, set"
    " SLACK_CLIENT_ID and SLACK_CLIENT_SECRET instead (README → 'Several workspaces (OAuth)')",
    "SLACK_SIGNING_SECRET": "api.slack.com/apps → your app → Basic Information"
    " → App Credentials → Signing Secret. Or no public URL at all: set SLACK_APP_TOKEN (xapp-…,"
    " Basic Information → App-Level Tokens, scope connections:write) for Socket Mode, which needs"
    " no signing secret (README → 'Quick start')",
}


# Operator commands with their own options, each in its own module: `python -m bot report
# --help`. Imported only when run, so starting the bot doesn't load them.
OPERATOR_COMMANDS = {"report": "bot.ops.report_cli", "export": "bot.ops.export_cli"}


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
    # The working directory's .env (bot/app/environment.py): empty values mean not set.
    environment.load()
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"casekeeper: configuration error: {error}", file=sys.stderr)
        return 2
    environment.read_by_settings()

    from bot.app.logs import configure_logging

    configure_logging(settings.log_format, secrets=settings.secrets())
    if args.command == "demo":
        return _demo()
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
    from bot.app.serve import serve

    return serve(args.command, settings, db)


def _demo() -> int:
    import importlib

    # The stand-in lives next to the bot in a checkout and is not in the wheel.
    try:
        demo = importlib.import_module("slack_standin.demo")
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("slack_standin"):
            raise
        print(
            "make demo runs from a checkout of casekeeper: the Slack stand-in is not installed with the bot",
            file=sys.stderr,
        )
        return 2
    return int(demo.play())


def _explain_missing(missing: list[str]) -> None:
    print("casekeeper can't start: Slack credentials are missing.", file=sys.stderr)
    for name in missing:
        print(f"  {name}: {SLACK_SETUP_HELP[name]}", file=sys.stderr)
    print(
        "Put them in .env (copy .env.example) and run `make run` again. README.md → 'Quick start'"
        " gets there in a few minutes (Socket Mode, manifest.socket.yml); 'Slack app setup' is the"
        " public-URL way (manifest.yml).",
        file=sys.stderr,
    )
    print(
        "No Slack workspace at hand? `make demo` plays a whole case against a local Slack stand-in.",
        file=sys.stderr,
    )
