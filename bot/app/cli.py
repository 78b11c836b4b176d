"""`python -m bot [run|web|worker|migrate|demo|report|export|team|dead|keys|copy-db]`: see
`python -m bot --help`, README.md."""

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
OPERATOR_COMMANDS = {
    "report": "bot.ops.report_cli",
    "export": "bot.ops.export_cli",
    "team": "bot.ops.team_cli",
    "keys": "bot.ops.keys_cli",
    "copy-db": "bot.ops.copy_db",
    "dead": "bot.ops.dead_cli",
}

# What each command does, for `python -m bot --help` and `python -m bot <command> --help`.
COMMANDS = {
    "run": "Start the bot: the HTTP server (or Socket Mode), and the worker (events, scheduler,"
    " sender) in a child process it looks after. The default for one box. On SQLite it brings"
    " the database schema up to date first.",
    "web": "Only the HTTP server that Slack posts commands, events and clicks to (the Procfile's"
    " web process; several may run side by side on PostgreSQL).",
    "worker": "Only the worker: the events the web processes recorded, the scheduler and the"
    " notification sender (the Procfile's worker process; safe to run several).",
    "migrate": "Bring the database schema up to date (the Procfile's release step). Needs no"
    " Slack credentials.",
    "demo": "Play a whole case, start to escalation, against a local Slack stand-in: no"
    " workspace, no credentials. From a checkout only.",
    "report": "Print the team report (promises kept, first contact, old cases, recurring"
    " problems) as a table or CSV. See `python -m bot report --help`.",
    "export": "Export everything recorded about a case, or every case touched lately, as JSON."
    " See `python -m bot export --help`.",
    "team": "Set a whole team's managers from a CSV file, or write them to one. See"
    " `python -m bot team --help`.",
    "keys": "Make a key for TOKEN_ENCRYPTION_KEYS, or encrypt the stored OAuth tokens again with"
    " the first key after a rotation. See `python -m bot keys --help`.",
    "copy-db": "Copy this SQLite install into an empty, migrated PostgreSQL database and check the"
    " row counts of every table. See `python -m bot copy-db --help`.",
    "dead": "List the messages Slack refused for good, send them again once fixed, or drop them."
    " See `python -m bot dead --help`.",
}


# slack_standin/demo.py's KEPT_FILE (the stand-in is imported only when the demo runs).
KEPT_DEMO_FILE = "casekeeper-demo.sqlite3"


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in OPERATOR_COMMANDS:
        import importlib

        return int(importlib.import_module(OPERATOR_COMMANDS[arguments[0]]).main(arguments[1:]))
    args = _parser().parse_args(arguments)
    command = args.command or "run"
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
    if command == "demo":
        return _demo(keep=args.keep)
    if command == "migrate":
        return _migrate(settings)
    return _start(command, settings, migrate_first=getattr(args, "migrate", False))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="casekeeper: keep the promises made to customers. Settings come from the"
        " environment or the working directory's .env (see .env.example).",
    )
    commands = parser.add_subparsers(dest="command", metavar="command", title="commands (default: run)")
    for name, description in COMMANDS.items():
        if name in OPERATOR_COMMANDS:
            # Parsed by their own modules (main() hands them over first); listed here for --help.
            commands.add_parser(name, help=description, add_help=False)
            continue
        command = commands.add_parser(name, help=description, description=description)
        if name == "demo":
            command.add_argument(
                "--keep",
                action="store_true",
                help=f"keep the demo's database ({KEPT_DEMO_FILE} in the working directory) and"
                " say how to try `report` and `export` on it (make demo KEEP=1)",
            )
        if name in ("run", "web", "worker"):
            command.add_argument(
                "--migrate",
                action="store_true",
                help="bring the database schema up to date first, once the settings are checked",
            )
    return parser


def _migrate(settings: Settings) -> int:
    from storage.db import Database

    Database(settings.database_url).migrate()
    print("casekeeper: database schema is up to date")
    return 0


def _start(command: str, settings: Settings, *, migrate_first: bool) -> int:
    # Credentials first: a newcomer without them hears what is missing before anything is made.
    missing = settings.missing_for_slack(receives_requests=command != "worker")
    if missing:
        _explain_missing(missing)
        return 2
    from storage.db import Database

    # A worker's writes wait a moment for the web process's acks (SQLite on one box).
    db = Database(
        settings.database_url,
        yields_to_acks=command == "worker",
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )
    if settings.is_sqlite or migrate_first:
        # One box, one file: bring the schema up to date ourselves. On PostgreSQL that is the
        # release step's job (`python -m bot migrate`), run once per deploy, unless asked.
        db.migrate()
    else:
        from storage.schema_check import require_current_schema

        problem = require_current_schema(db)
        if problem:
            print(f"casekeeper: {problem}", file=sys.stderr)
            return 2
    from bot.app.workspaces import check_token_keys

    problem = check_token_keys(settings, db)
    if problem:
        print(f"casekeeper: {problem}", file=sys.stderr)
        return 2
    from bot.app import sharing
    from bot.app.serve import serve
    from bot.clock import SystemClock

    sharing.announce(command, settings, db)
    if command == "web":
        sharing.watch_for_worker(db, settings, SystemClock())
    return serve(command, settings, db)


def _demo(*, keep: bool) -> int:
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
    return int(demo.play(keep=keep))


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
