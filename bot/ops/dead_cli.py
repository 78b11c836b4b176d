"""`python -m bot dead list [--json] [--team T]`, `dead retry ID… | --all`, `dead drop ID… --reason
WHY`: the messages Slack refused for good (bot/dead_letters.py), for operators. Reads and writes
the database the bot uses (DATABASE_URL, from the environment or the working directory's .env)
and never talks to Slack: a retried message is sent by the running bot, which looks in Slack
for it first, so one that got through after all is not posted twice."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence

from bot import dead_letters
from bot.app import environment
from bot.app.settings import Settings, SettingsError
from bot.clock import SystemClock
from bot.errors import CaseError
from bot.ops import database
from bot.ops.arguments import Parser, UsageError
from storage.dead_letters import DeadRow

PROG = "python -m bot dead"


def _parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description="The messages Slack refused for good (dead letters): list them, send them again"
        " once the cause is fixed, or drop them.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    listing = commands.add_parser(
        "list", help="every dead message: id, kind, case, recipient, when due, error"
    )
    listing.add_argument("--json", action="store_true", help="as JSON, one object per message")
    listing.add_argument("--team", help="only this workspace's (T…)")
    retrying = commands.add_parser(
        "retry", help="put messages back in line: the running bot sends them (looking in Slack first)"
    )
    retrying.add_argument("ids", nargs="*", type=_id, metavar="ID", help="ids from `dead list`")
    retrying.add_argument("--all", action="store_true", help="every dead message")
    dropping = commands.add_parser("drop", help="never send these; the reason goes in the audit trail")
    dropping.add_argument("ids", nargs="+", type=_id, metavar="ID", help="ids from `dead list`")
    dropping.add_argument("--reason", default="no reason given", help="why, for the audit trail")
    return parser


def _id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a message id (a number from `dead list`)"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a message id (a number from `dead list`)")
    return value


def main(argv: Sequence[str]) -> int:
    try:
        args = _parser().parse_args(list(argv))
        if args.command == "retry" and bool(args.ids) == bool(args.all):
            raise UsageError("retry takes message ids, or --all (not both)")
    except UsageError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    environment.load()
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"{PROG}: configuration error: {error}", file=sys.stderr)
        return 2
    # A missing SQLite file is said to be missing, not created empty (as report and team do).
    problem = database.problem(settings)
    if problem:
        print(f"{PROG}: {problem}", file=sys.stderr)
        return 2
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        if args.command == "list":
            with db.transaction() as session:
                rows = dead_letters.dead(session, team_id=args.team)
            print(as_json(rows) if args.json else as_table(rows))
            return 0
        return _act(db, args)
    finally:
        db.dispose()


def _act(db, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    by = f"operator {_operator()}"
    now = SystemClock().now()
    try:
        with db.transaction() as session:
            if args.command == "retry":
                done = dead_letters.retry(session, args.ids, by=by, now=now, every=args.all)
            else:
                done = dead_letters.drop(session, args.ids, by=by, reason=args.reason, now=now)
    except CaseError as error:
        print(f"{PROG}: {error} See `{PROG} list`.", file=sys.stderr)
        return 2
    ids = ", ".join(str(i) for i in done.ids)
    if not done.ids:
        print("No dead messages: nothing to retry.")
    elif args.command == "retry":
        print(
            f"Back in line: {ids}. The running bot sends them within seconds (a message that reached"
            " Slack after all is found there, not posted again)."
        )
    else:
        print(f"Dropped: {ids}. They will not be sent; the audit trail says who dropped them and why.")
    return 0


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (a container without one)
        return "unknown"


def _kind(row: DeadRow) -> str:
    return f"{row.kind} {row.level}" if row.kind == "escalation" else row.kind


def _case(row: DeadRow) -> str:
    return f"CASE-{row.case_id}" if row.case_id is not None else "-"


def as_table(rows: list[DeadRow]) -> str:
    if not rows:
        return "No dead messages."
    several = len({row.team_id for row in rows}) > 1
    header = ["ID", "KIND", "CASE", "TO", "DUE (UTC)", "TRIES", "LAST ERROR"]
    lines = [
        [
            str(row.id),
            _kind(row),
            _case(row),
            row.recipient,
            row.run_at.strftime("%Y-%m-%d %H:%M"),
            str(row.attempts),
            (row.last_error or "").replace("\n", " ")[:120],
        ]
        for row in rows
    ]
    if several:
        header.insert(1, "WORKSPACE")
        for line, row in zip(lines, rows, strict=True):
            line.insert(1, row.team_id)
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    shown = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, *lines]
    ]
    count = f"{len(rows)} dead message{'s' if len(rows) != 1 else ''}."
    hint = f"Send again once fixed: `{PROG} retry ID…` (or --all); never send: `{PROG} drop ID… --reason …`."
    return "\n".join([*shown, "", count, hint])


def as_json(rows: list[DeadRow]) -> str:
    return json.dumps(
        [
            {
                "id": row.id,
                "workspace": row.team_id,
                "kind": row.kind,
                "level": row.level,
                "case": _case(row) if row.case_id is not None else None,
                "promise_id": row.promise_id,
                "recipient": row.recipient,
                "due_at": row.run_at.isoformat(),
                "attempts": row.attempts,
                "last_error": row.last_error,
                "created_at": row.created_at.isoformat(),
            }
            for row in rows
        ],
        indent=2,
    )
