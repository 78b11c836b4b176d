"""`python -m bot export`: the audit record of a case, or of every case touched lately, as JSON.

    python -m bot export CASE-7                  # one pretty JSON document
    python -m bot export --all --since 30d       # JSON lines, one case per line

stdout carries only JSON (or nothing, with --output); progress and errors go to stderr.
Exit status: 0 done, 1 no such case, 2 bad arguments or settings."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from bot.app import environment
from bot.app.settings import Settings, SettingsError
from bot.ops import database

PROG = "python -m bot export"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Export everything recorded about cases (contacts and their earlier texts, promises"
        " and each change to them, the messages the bot sent, the audit trail) as JSON, times in UTC.",
        epilog="Reads DATABASE_URL (from the environment or .env); needs no Slack credentials.",
    )
    parser.add_argument("case", nargs="?", help="the case to export, like CASE-7: one pretty JSON document")
    parser.add_argument(
        "--all",
        action="store_true",
        help="every case instead (with --since: opened, changed or closed since then), one JSON"
        " document per line",
    )
    parser.add_argument(
        "--since",
        metavar="WHEN",
        help="with --all: a length of time back from now (30d, 12h, 2 weeks, 5 business days) or a"
        " day, date or time in UTC (yesterday, monday, 2026-11-01, 2026-11-01T09:00)",
    )
    parser.add_argument("--team", metavar="T123", help="only this Slack workspace (team id)")
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on stderr (default: only when stderr is a terminal)",
    )
    return parser


def main(argv: Sequence[str]) -> int:
    parser = _parser()
    args = parser.parse_args(list(argv))
    if args.all and args.case:
        parser.error("either one case (CASE-7) or --all, not both")
    if not args.all and not args.case:
        parser.error("name the case to export (CASE-7), or ask for --all")
    if args.since and not args.all:
        parser.error("--since goes with --all; one case is always exported whole")

    from bot import moments
    from bot.clock import SystemClock
    from bot.ops import export

    now = SystemClock().now()
    try:
        case_id = export.parse_case_ref(args.case) if args.case else None
    except ValueError as error:
        return _fail(str(error), 2)
    if args.team is not None and not args.team.strip():
        return _fail("--team needs a Slack team id, like T0123ABCD", 2)

    # The working directory's .env (bot/app/environment.py): empty values mean not set.
    environment.load()
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        return _fail(f"configuration error: {error}", 2)
    try:
        # bot/moments.py: as `/case report` and `python -m bot report` read it, on UTC; business
        # days on the deployment's WORKING_HOURS.
        since = moments.parse_since(args.since, now, hours=settings.working_hours) if args.since else None
    except moments.MomentError as error:
        return _fail(f"--since {error}", 2)
    problem = database.problem(settings)
    if problem:
        return _fail(problem, 2)

    from storage.db import make_engine

    engine = make_engine(settings.database_url, read_only=True)
    try:
        return _export(engine, export, args, case_id, since, now)
    except OSError as error:
        if isinstance(error, BrokenPipeError):
            # The reader stopped reading (`| head`): not an error of ours, nothing more to say.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        return _fail(f"can't write {args.output}: {error.strerror or error}", 2)
    finally:
        engine.dispose()


def _export(
    engine: Any, export: Any, args: argparse.Namespace, case_id: int | None, since: Any, now: Any
) -> int:
    if case_id is not None:
        document = export.one_case(engine, case_id, team_id=args.team, now=now)
        if document is None:
            where = f" in workspace {args.team}" if args.team else ""
            return _fail(f"there is no CASE-{case_id}{where}", 1)
        with _Sink(args.output) as out:
            out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return 0
    return _export_all(engine, export, args, since, now)


def _export_all(engine: Any, export: Any, args: argparse.Namespace, since: Any, now: Any) -> int:
    from bot.ops.progress import track, wanted

    show = wanted(args.progress)
    total = export.count_cases(engine, team_id=args.team, since=since) if show else None
    documents = export.all_cases(engine, team_id=args.team, since=since, now=now)
    with _Sink(args.output) as out:
        for document in track(documents, total=total, what="export", show=show):
            out.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")
    return 0


class _Sink:
    """stdout, or a file that appears only once complete (written aside, then renamed): an
    export cut short never leaves a file that looks whole."""

    def __init__(self, path: str | None):
        self._path = Path(path) if path else None
        self._partial = self._path.with_name(self._path.name + ".partial") if self._path else None
        self._file: TextIO | None = None

    def __enter__(self) -> TextIO:
        if self._partial is None:
            if hasattr(sys.stdout, "reconfigure"):
                sys.stdout.reconfigure(encoding="utf-8")
            return sys.stdout
        self._file = self._partial.open("w", encoding="utf-8")
        return self._file

    def __exit__(self, kind: Any, _error: Any, _trace: Any) -> None:
        if self._file is None:
            sys.stdout.flush()
            return
        self._file.close()
        if kind is None:
            os.replace(self._partial, self._path)  # type: ignore[arg-type]
        else:
            self._partial.unlink(missing_ok=True)  # type: ignore[union-attr]


def _fail(message: str, code: int) -> int:
    print(f"casekeeper export: {message}", file=sys.stderr)
    return code
