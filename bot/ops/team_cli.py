"""`python -m bot team import team.csv [--dry-run] [--team T…] [--tell]` and `python -m bot team
export [--team T…]`: a whole team's managers, for operators (bot/ops/team_import.py has the
file's format). Reads and writes the database the bot uses (DATABASE_URL, from the environment
or the working directory's .env) and never talks to Slack: DMs an import asks for (`--tell`)
are left in the outbox for the running bot to send."""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from sqlalchemy.orm import Session

from bot.clock import SystemClock
from bot.ops import database, team_import
from bot.ops.arguments import Parser, UsageError
from bot.roster import roster
from storage import team as stored

PROG = "python -m bot team"


def _parser() -> Parser:
    parser = Parser(prog=PROG, description="Set a whole team's managers from a file, or write them to one.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    importing = commands.add_parser("import", help="set managers from a CSV file of agent,manager user ids")
    importing.add_argument("file", help="the CSV file (agent,manager per line; an empty manager removes it)")
    importing.add_argument("--dry-run", action="store_true", help="show what would change; change nothing")
    importing.add_argument("--tell", action="store_true", help="DM each person and manager a change concerns")
    importing.add_argument("--team", help="the workspace (T…); needed when the database knows several")
    exporting = commands.add_parser("export", help="the managers in force, as a file import reads")
    exporting.add_argument("--team", help="the workspace (T…); needed when the database knows several")
    return parser


def main(argv: Sequence[str]) -> int:
    try:
        args = _parser().parse_args(list(argv))
        text = _read(args.file) if args.command == "import" else ""
    except UsageError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    settings = database.settings(PROG)
    if settings is None:
        return 2
    # A missing SQLite file is said to be missing, not created empty (as report and export do).
    problem = database.problem(settings)
    if problem:
        print(f"{PROG}: {problem}", file=sys.stderr)
        return 2
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        with db.transaction() as session:
            team_id = _workspace(args.team, stored.workspaces(session))
            if team_id is None:
                return 2
            if args.command == "export":
                write_links(roster(session, team_id).links, sys.stdout)
                return 0
            return _import(session, team_id, args, text)
    finally:
        db.dispose()


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"can't read {path}: {error}") from None


def _workspace(asked: str | None, known: list[str]) -> str | None:
    if asked:
        return asked
    if len(known) == 1:
        return known[0]
    if not known:
        print(f"{PROG}: the database knows no workspace yet: give --team T…", file=sys.stderr)
    else:
        print(
            f"{PROG}: the database knows several workspaces ({', '.join(known)}): give --team",
            file=sys.stderr,
        )
    return None


def _import(session: Session, team_id: str, args: argparse.Namespace, text: str) -> int:
    lines, errors = team_import.read(text)
    planned = team_import.plan(session, team_id, lines, errors)
    if planned.errors:
        for error in planned.errors:
            print(f"{args.file} {error}", file=sys.stderr)
        print(f"{PROG}: nothing was changed; fix those lines and run it again.", file=sys.stderr)
        return 1
    print(f"Workspace {team_id}, {args.file}:")
    for change in planned.changes:
        after = change.after or "no manager"
        print(f"  line {change.number}: {change.user_id}: {after} (was {change.before or 'no manager'})")
    unchanged = f", {len(planned.unchanged)} unchanged" if planned.unchanged else ""
    if args.dry_run:
        session.rollback()
        print(f"Dry run: {len(planned.changes)} would change{unchanged}. Nothing was changed.")
        return 0
    made = team_import.apply(session, team_id, planned, SystemClock().now(), tell=args.tell)
    told = " Everyone concerned will get a DM." if args.tell and made else ""
    print(f"{made} changed{unchanged}.{told}")
    return 0


def write_links(links: dict[str, str], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(team_import.HEADER)
    for user_id in sorted(links):
        writer.writerow([user_id, links[user_id]])
