"""bench/RESULTS.md: the machine, the versions, one table per figure, how to reproduce."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench.harness import Section

PACKAGES = ("slack-bolt", "slack-sdk", "SQLAlchemy", "waitress", "psycopg", "APScheduler")
# Kept from one run to the next: the profile findings and the before/after of fixes are
# written by hand under this heading, below the generated part.
HAND_WRITTEN = "<!-- Below this line is written by hand and kept by the runner. -->"


def machine() -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"- Machine: {cpu}, {cores} cores available{memory}",
        f"- OS: {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()})",
        "- " + ", ".join(f"{name} {_version(name)}" for name in PACKAGES),
        f"- SQLite {_sqlite_version()}; PostgreSQL {_postgres_version()}",
    ]


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def _postgres_version() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return "not used in this run"
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


def _mark(met: bool | None) -> str:
    return "" if met is None else ("yes" if met else "**no**")


def render(sections: list[Section], *, total: float, quick: bool, argv: list[str]) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m bench{' ' + ' '.join(argv) if argv else ''}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {total:.0f} s."
        + (" **Quick run: sizes too small to mean anything.**" if quick else ""),
        "Every figure is measured against a baseline taken in the same run, on the same machine; "
        "the ratios are what to compare between machines, not the absolute times.",
        "",
        *machine(),
        "",
        "## How to reproduce",
        "",
        "```",
        "make bench            # every figure, ~10 minutes on 2 cores; starts a throwaway PostgreSQL 15",
        "make bench ARGS='--only ack,memory'",
        "make bench ARGS=--quick   # a smoke run in about a minute (writes bench/RESULTS-quick.md)",
        "```",
        "",
        "The bot runs as an operator runs it (`python -m bot run`, its settings in the environment) "
        "against the Slack stand-in the tests use (slack_standin/), over real signed HTTP.",
        "",
        "## Summary",
        "",
        "| figure | line | goal | met |",
        "|---|---|---|---|",
    ]
    for section in sections:
        for row in section.rows:
            if row.met is not None:
                lines.append(f"| {section.title} | {row.case} | {row.goal} | {_mark(row.met)} |")
    for section in sections:
        lines += ["", f"## {section.title}", "", section.how, ""]
        lines.append("| case | measured | baseline (same run) | ratio | goal | met |")
        lines.append("|---|---|---|---|---|---|")
        for row in section.rows:
            lines.append(
                f"| {row.case} | {row.value} | {row.baseline} | {row.ratio} | {row.goal} | {_mark(row.met)} |"
            )
        if section.notes:
            lines.append("")
            lines += [f"- {note}" for note in section.notes]
        lines += ["", f"_{section.seconds:.0f} s._"]
    return "\n".join(lines) + "\n"


def write(path: Path, sections: list[Section], *, total: float, quick: bool, argv: list[str]) -> None:
    """The generated part, then whatever was written by hand below HAND_WRITTEN last time."""
    kept = ""
    if path.exists():
        old = path.read_text()
        if HAND_WRITTEN in old:
            kept = old[old.index(HAND_WRITTEN) :]
    text = render(sections, total=total, quick=quick, argv=argv)
    path.write_text(text + ("\n" + kept if kept else "\n" + HAND_WRITTEN + "\n"))
