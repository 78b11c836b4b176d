"""`python -m bot report --since 30d --format csv|table [--team T123] [--until …]`: the team report
(bot/reports.py) for operators, on stdout; progress on stderr. Reads the database the bot uses
(DATABASE_URL, from the environment or the working directory's .env) and never talks to Slack,
so people are shown by their Slack user id."""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TextIO

from bot import moments, reports
from bot.app.settings import Settings
from bot.clock import SystemClock
from bot.ops import database, progress
from bot.ops.arguments import Parser, UsageError
from bot.outcomes import RATE
from bot.plurals import counted
from bot.reports import FirstContact, Report
from bot.workhours import WorkingHours

PROG = "python -m bot report"
FORMATS = ("csv", "table")
# Operators get longer lists than Slack's message limits allow.
STALE_LISTED = 100
CATEGORIES_LISTED = 50

CSV_COLUMNS = (
    "team_id",
    "agent",
    "since",
    "until",
    # The words of bot/outcomes.py: kept_on_time counts the early ones too, kept_early says
    # how many of them were early; the percent is the on-time rate.
    "kept_on_time",
    "kept_early",
    "kept_late",
    "missed",
    "rescheduled",
    "cancelled",
    "on_time_rate_percent",
    "cases_opened",
    "first_contact_median_minutes",
    "without_contact",
    "stale_open_cases",
)


def parse_window(
    since: str, until: str | None, now: datetime, hours: WorkingHours
) -> tuple[datetime, datetime]:
    """--since and --until (bot/moments.py: the same words as `/case report`, on UTC): a length
    of time counts back from --until, which is now unless given."""
    try:
        end = moments.parse_until(until, now, hours=hours) if until else now
    except moments.MomentError as error:
        raise UsageError(f"--until {error}") from None
    try:
        start = moments.parse_since(since, end, hours=hours)
    except moments.MomentError as error:
        raise UsageError(f"--since {error}") from None
    return start, end


def _parser() -> Parser:
    parser = Parser(prog=PROG, description="Print the team report: promises, first contact, old cases.")
    parser.add_argument(
        "--since",
        default="7d",
        help="where the window starts: back from --until (7d, 12h, 2 weeks, 5 business days) or a day"
        " (yesterday, monday, 2026-11-01), UTC (7d)",
    )
    parser.add_argument(
        "--until",
        help="where it ends: a day or time (2026-11-01T00:00, yesterday) or a length back, UTC (now)",
    )
    parser.add_argument("--format", default="table", help="csv (one row per agent) or table (table)")
    parser.add_argument("--team", help="one workspace (team id T…); default: each workspace with cases")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress on stderr (default: only when stderr is a terminal)",
    )
    return parser


def main(argv: Sequence[str]) -> int:
    try:
        args = _parser().parse_args(list(argv))
        if args.format not in FORMATS:
            raise UsageError(f"--format {args.format!r} is not one we print: use csv or table")
    except UsageError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    # The working directory's .env (bot/app/environment.py): empty values mean not set.
    settings = database.settings(PROG)
    if settings is None:
        return 2
    try:
        # Business days are counted on the deployment's WORKING_HOURS.
        since, until = parse_window(args.since, args.until, SystemClock().now(), settings.working_hours)
    except UsageError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    built = _build(settings, args, since=since, until=until)
    if built is None:
        return 2
    if args.format == "csv":
        write_csv(built, sys.stdout)
    else:
        for number, report in enumerate(built):
            if number:
                print()
            write_table(report, sys.stdout)
    return 0


def _build(
    settings: Settings, args: argparse.Namespace, *, since: datetime, until: datetime
) -> list[Report] | None:
    """One report per workspace asked for; None (and the reason on stderr) when the database
    can't give them."""
    from storage.db import Database

    problem = database.problem(settings)
    if problem:
        print(f"{PROG}: {problem}", file=sys.stderr)
        return None
    db = Database(settings.database_url)
    try:
        with db.transaction() as session:
            teams = [args.team] if args.team else reports.workspaces(session)
        if not teams:
            print(f"{PROG}: no cases in the database yet", file=sys.stderr)
        built = []
        for team in progress.track(
            teams, total=len(teams), what="report", show=progress.wanted(args.progress)
        ):
            with db.transaction() as session:
                built.append(
                    reports.build(
                        session,
                        team_id=team,
                        since=since,
                        until=until,
                        now=until,
                        stale_age=settings.stale_case_age,
                        stale_limit=STALE_LISTED,
                        category_limit=CATEGORIES_LISTED,
                    )
                )
        return built
    finally:
        db.dispose()


def write_csv(built: list[Report], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for report in built:
        for line in report.lines:
            counts, first = line.promises, line.first_contact
            writer.writerow(
                [
                    report.team_id,
                    line.agent_id,
                    report.since.isoformat(),
                    report.until.isoformat(),
                    counts.on_time,
                    counts.early,
                    counts.late,
                    counts.missed,
                    counts.rescheduled,
                    counts.cancelled,
                    "" if counts.percent is None else counts.percent,
                    first.opened,
                    "" if first.median is None else f"{first.median.total_seconds() / 60:.1f}",
                    first.waiting,
                    line.stale,
                ]
            )


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return " ".join(p for p in (f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m") if p)


def _first(facts: FirstContact) -> str:
    return "-" if facts.median is None else _duration(facts.median)


def write_table(report: Report, out: TextIO) -> None:
    out.write(f"Workspace {report.team_id}: promises due {_when(report.since)} to {_when(report.until)}\n\n")
    # The words of bot/outcomes.py, as every view uses them.
    head = ("agent", "kept on time", "of them early", "kept late", "missed", "rescheduled", "cancelled")
    head += (RATE,)
    head += ("opened", "median 1st")
    head += ("no contact", "stale")
    rows = [head]
    for agent, counts, first, stale in [
        *((line.agent_id, line.promises, line.first_contact, line.stale) for line in report.lines),
        ("TOTAL", report.promises, report.first_contact, report.stale_total),
    ]:
        rate = "-" if counts.percent is None else f"{counts.on_time}/{counts.counted} ({counts.percent}%)"
        rows.append(
            (
                agent,
                *(
                    str(n)
                    for n in (
                        counts.on_time,
                        counts.early,
                        counts.late,
                        counts.missed,
                        counts.rescheduled,
                        counts.cancelled,
                    )
                ),
                rate,
                str(first.opened),
                _first(first),
                str(first.waiting),
                str(stale),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
        ]
        out.write("  ".join(cells).rstrip() + "\n")
    first = report.first_contact
    waiting = f", {first.waiting} without a contact yet" if first.waiting else ""
    out.write(
        f"\nTime to first contact (cases opened in the window): median {_first(first)}"
        f" over {counted(first.reached, 'case')}{waiting}\n"
    )
    out.write(f"\nOpen longer than {report.stale_age.days} days ({report.stale_total}):\n")
    for case in report.stale:
        since = _when(case.opened_at)
        out.write(f"  {case.ref:<12} {case.owner_id:<12} open {_duration(case.age)} (since {since})\n")
    if report.stale_total > len(report.stale):
        out.write(f"  … and {report.stale_total - len(report.stale)} more\n")
    out.write("\nRecurring problems (closed as recurring in the window):\n")
    if not report.recurring:
        out.write("  none\n")
    for category in report.recurring:
        refs = ", ".join(f"CASE-{case_id}" for case_id in category.case_ids)
        out.write(f"  {category.category}: {category.count} ({refs})\n")
    if report.recurring_total > len(report.recurring):
        out.write(f"  … and {report.recurring_total - len(report.recurring)} more categories\n")
