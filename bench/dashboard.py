"""The dashboard's team page numbers (bot/team_stats.build) at 100k cases and 1M contacts, for an
admin viewing the whole workspace and for a manager viewing their team, against `/case report`'s
numbers (bot/reports.build) over the same twelve weeks for the same audience, in the same run.
The data: bench/dashboard_world.py (`seed` is reusable to time the whole page)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from bench import dashboard_page as page
from bench.dashboard_world import SeededWorld, seed
from bench.harness import Context, Row, Section, median, ms, percentile
from bot import reports, team_stats
from storage.db import Database

CASES, CONTACTS = 100_000, 1_000_000
QUICK_DIVISOR = 20
RUNS, QUICK_RUNS = 30, 10
WARM_UP = 2
VIEWER_TZ = ZoneInfo("America/New_York")

__all__ = ["SeededWorld", "run", "seed"]


def run(ctx: Context) -> Section:
    divisor = QUICK_DIVISOR if ctx.quick else 1
    cases, contacts = CASES // divisor, CONTACTS // divisor
    runs = QUICK_RUNS if ctx.quick else RUNS
    section = Section(
        "Dashboard team page",
        f"{cases:,} cases over 52 weeks with about {contacts:,} contacts and 1.3 promises a case "
        "(kept early, on time, late, missed, rescheduled, cancelled; reminders and two escalation "
        "levels in the outbox, sent or cancelled as the promise went; acknowledgements; recurring "
        "closes), 20 agents under 2 managers plus a second workspace, loaded by bulk inserts "
        "(bench/dashboard_world.py). Timed in-process: bot.team_stats.build for twelve weeks on a "
        f"viewer's clock ({VIEWER_TZ.key}), each run its own read-only transaction, {WARM_UP} warm-up "
        f"runs then {runs}; p50 and p95 (nearest rank). Baseline: bot.reports.build (`/case report`: "
        "outcomes, first contact, stale cases, recurring categories) over the same twelve weeks for "
        "the same audience. Ratio = p95 / baseline p95. These lines say "
        "where the page's time goes and have no goal of their own. Then the whole page as a browser gets it "
        "(bench/dashboard_page.py): GET /dashboard/team from `python -m bot run` over HTTP with a "
        "signed-in session, against GET /healthz on the same server; the issue's goal is this page "
        "under 300 ms p95.",
    )
    backends = [("SQLite", ctx.sqlite_url("dashboard"))]
    postgres = ctx.postgres_schema_url("bench_dashboard")
    if postgres is not None:
        backends.append(("PostgreSQL", postgres))
    for backend, url in backends:
        world = _measure(section, backend, url, cases, contacts, runs)
        page.measure(section, backend, url, world, ctx.workdir, runs)
    return section


def _measure(section: Section, backend: str, url: str, cases: int, contacts: int, runs: int) -> SeededWorld:
    started = time.monotonic()
    world = seed(url, cases=cases, contacts=contacts)
    seeded = time.monotonic() - started
    print(f"  dashboard {backend}: seeded {world.counts} in {seeded:.0f} s", flush=True)
    section.notes.append(
        f"{backend}: "
        + ", ".join(f"{count:,} {table}" for table, count in world.counts.items())
        + f", loaded in {seeded:.0f} s."
    )
    db = Database(url)
    try:
        manager = world.manager_ids[0]
        for who, agents in (
            ("admin, whole workspace", None),
            (f"manager, {manager}'s team", world.team_of(manager)),
        ):
            stats = _times(db, runs, lambda session, agents=agents: _team_page(session, world, agents))
            base = _times(db, runs, lambda session, agents=agents: _report(session, world, agents))
            p95, base_p95 = percentile(stats, 95), percentile(base, 95)
            print(
                f"  dashboard {backend} {who}: p50 {ms(median(stats))} p95 {ms(p95)}; baseline {ms(base_p95)}"
            )
            section.rows.append(
                Row(
                    case=f"{backend}, the numbers alone, in turn, {who}: p50 {ms(median(stats))}",
                    value=f"p95 {ms(p95)}",
                    baseline=f"p95 {ms(base_p95)} (p50 {ms(median(base))})",
                    ratio=f"{p95 / base_p95:.2f}×",
                )
            )
    finally:
        db.dispose()
    return world


def _times(db: Database, runs: int, work: Callable[..., object]) -> list[float]:
    seconds = []
    for number in range(WARM_UP + runs):
        started = time.perf_counter()
        with db.read_only() as session:
            work(session)
        if number >= WARM_UP:
            seconds.append(time.perf_counter() - started)
    return seconds


def _team_page(session: object, world: SeededWorld, agents: frozenset[str] | None) -> object:
    return team_stats.build(
        session,  # type: ignore[arg-type]
        team_id=world.team_id,
        agents=agents,
        now=world.now,
        tz=VIEWER_TZ,
    )


def _report(session: object, world: SeededWorld, agents: frozenset[str] | None) -> object:
    mondays = team_stats.week_starts(world.now, VIEWER_TZ, team_stats.WEEKS)
    return reports.build(
        session,  # type: ignore[arg-type]
        team_id=world.team_id,
        since=team_stats.local_midnight(mondays[0], VIEWER_TZ),
        until=world.now,
        now=world.now,
        stale_age=timedelta(days=7),
        agents=agents,
    )
