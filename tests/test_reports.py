"""Team reports: `/case report` for an agent, a manager, a director two levels up and an admin,
and `python -m bot report` as an operator runs it, over a seeded team of several weeks. Every
number shown is checked against the generator's own record of what it did (tests/report_world.py),
never against our SQL."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest

from bot.clock import ManualClock
from tests import report_world as world_of
from tests.conftest import START, make_settings
from tests.processes import bot_env

END = START
BEGIN = END - timedelta(weeks=5)
STALE_AGE = timedelta(days=7)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(BEGIN)


@pytest.fixture
def bot_settings(slack: Any, database_url: str) -> Any:
    return make_settings(slack, database_url, admins=frozenset({"UADMIN"}), stale_case_age=STALE_AGE)


@pytest.fixture
def world(bot: Any, clock: ManualClock) -> world_of.World:
    return world_of.plan_and_seed(
        bot, clock, seed=20261123, start=BEGIN, end=END, case_count=260, other_team_cases=6
    )


def expected_lines(world: world_of.World, agents: set[str] | None, days: int) -> dict[str, Any]:
    since = world.end - timedelta(days=days)
    return world_of.expected_view(world, "T1", agents, since, world.end, world.end, STALE_AGE)


def check_report(reply: Any, expected: dict[str, Any]) -> None:
    assert reply.ephemeral
    world_of.check_view(reply.responses[-1].body, expected)


def test_report_shows_each_audience_its_numbers_as_the_generator_recorded_them(world, person, bot, slack):
    # The data is as varied as promised: every outcome, waiting cases, stale cases, categories.
    fates = world_of.Counter(world_of.fate_at(p, world.end) for p in world.promise_records())
    assert all(fates[f] >= 5 for f in world_of.OUTCOMES), fates
    called_off_late = [p for p in world.promise_records() if p.cancelled_at and p.cancelled_at > p.due_at]
    assert len(called_off_late) >= 5
    assert world_of.expected_stale(world, "T1", None, world.end, STALE_AGE)
    assert len(world_of.expected_recurring(world, "T1", None, END - timedelta(days=30), END)) >= 3

    admin = person("UADMIN", "ada")
    reply = admin.command("report 30d")
    check_report(reply, expected_lines(world, None, 30))
    assert "the whole workspace" in reply.text
    check_report(admin.command("report"), expected_lines(world, None, 7))

    # A manager sees their team and themselves; a director everyone two levels below too.
    check_report(
        person("UM1", "mia").command("report 7d"), expected_lines(world, {"UM1", "UA1", "UA2", "UA3"}, 7)
    )
    director = {"UDIR", "UM1", "UM2", "UA1", "UA2", "UA3", "UA4", "UA5"}
    check_report(person("UDIR", "dora").command("report 30d"), expected_lines(world, director, 30))
    # Someone managing nobody sees only their own numbers.
    own = person("UA6", "ugo").command("report 30d")
    check_report(own, expected_lines(world, {"UA6"}, 30))
    assert "<@UA1>" not in own.text and "for you" in own.text


def test_bad_report_period_gets_a_specific_message(person, bot):
    for text, why in (
        ("report last fortnight", "'last fortnight' is neither a length of time"),
        ("report 7", "'7' is neither a length of time"),
        ("report since tomorrow", "is still to come"),
        ("report 400d", "more than a year"),
    ):
        reply = person("UA1", "ann").command(text)
        assert reply.ephemeral
        assert "`/case report` looks back over a window" in reply.text and why in reply.text, reply.text


def run_cli(database_url: str, tmp_path: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "report", *args],
        cwd=tmp_path,
        env=bot_env(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_operator_report_as_csv_matches_the_generator_for_each_workspace(world, database_url, tmp_path):
    done = run_cli(database_url, tmp_path, "--since", "30d", "--until", END.isoformat(), "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    since = END - timedelta(days=30)
    for team in ("T1", "T2"):
        counts = world_of.expected_promises(world, team, None, since, END, END)
        contacts = world_of.expected_first_contact(world, team, None, since, END)
        stale = world_of.Counter(c.owner for c in world_of.expected_stale(world, team, None, END, STALE_AGE))
        agents = sorted(set(counts) | set(contacts) | set(stale))
        got = [r for r in rows if r["team_id"] == team]
        assert [r["agent"] for r in got] == agents
        for row in got:
            agent = row["agent"]
            tally = counts.get(agent, world_of.Counter())
            delays, waiting = contacts.get(agent, ([], 0))
            median = world_of.median_seconds(delays)
            percent = world_of.rate(tally)
            assert row == {
                "team_id": team,
                "agent": agent,
                "since": since.isoformat(),
                "until": END.isoformat(),
                "kept_on_time": str(tally["early"] + tally["on_time"]),
                "kept_early": str(tally["early"]),
                "kept_late": str(tally["late"]),
                "missed": str(tally["missed"]),
                "rescheduled": str(tally["rescheduled"]),
                "cancelled": str(tally["cancelled"]),
                "on_time_rate_percent": "" if percent is None else str(percent),
                "cases_opened": str(len(delays) + waiting),
                "first_contact_median_minutes": "" if median is None else f"{median / 60:.1f}",
                "without_contact": str(waiting),
                "stale_open_cases": str(stale[agent]),
            }

    table = run_cli(database_url, tmp_path, "--since", "7d", "--until", END.isoformat(), "--team", "T1")
    assert table.returncode == 0, table.stderr
    assert "Workspace T1" in table.stdout and "Workspace T2" not in table.stdout
    expected_stale = world_of.expected_stale(world, "T1", None, END, STALE_AGE)
    listed = re.findall(r"^  (CASE-\d+) +(\w+) +open", table.stdout, re.M)
    assert listed == [(f"CASE-{c.db_id}", c.owner) for c in expected_stale]
    for category, count, ids in world_of.expected_recurring(world, "T1", None, END - timedelta(days=7), END):
        assert f"  {category}: {count} ({', '.join(f'CASE-{i}' for i in ids)})" in table.stdout
    # Not a terminal: no progress unless asked for.
    assert table.stderr == ""


@pytest.mark.parametrize(
    "args, complaint",
    [
        (["--since", "3x"], "--since '3x' is neither a length of time"),
        (["--since", "0d"], "--since '0d' is no time at all"),
        (["--format", "json"], "--format 'json' is not one we print"),
        (["--until", "someday"], "--until 'someday' is neither a length of time"),
        (["--since", "2026-13-45"], "--since '2026-13-45' is not a real date"),
        (["--teams", "T1"], "unrecognized arguments"),
    ],
)
def test_operator_report_refuses_bad_arguments_in_one_line(args, complaint, database_url, tmp_path):
    done = run_cli(database_url, tmp_path, *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and complaint in done.stderr, done.stderr


def test_operator_report_shows_progress_when_asked(world, database_url, tmp_path):
    done = run_cli(database_url, tmp_path, "--format", "csv", "--until", END.isoformat(), "--progress")
    assert done.returncode == 0, done.stderr
    assert "report: 100%" in done.stderr and "2/2" in done.stderr
    assert {r["team_id"] for r in csv.DictReader(io.StringIO(done.stdout))} == {"T1", "T2"}
