"""Moving a SQLite install to PostgreSQL with `python -m bot copy-db --to …`, as an operator would:
the team worked on SQLite (cases, replies, promises kept and missed), the bot is stopped, the
target is migrated, the copy runs, and the bot started on PostgreSQL reports the same numbers,
finds the old cases by their words and opens the next case number."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from bot.app import sharing
from bot.clock import SystemClock
from slack_standin import SlackEventsClient
from storage.db import MIGRATIONS, Database
from tests.conftest import SIGNING_SECRET, Person, RunningBot, make_settings
from tests.processes import ROOT, bot_env, free_port, migrate

needs_postgres = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="needs PostgreSQL (scripts/with-postgres sets TEST_DATABASE_URL)",
)
# The test clock's month (tests/conftest.py START), so both reports cover the same window.
WINDOW = ("--since", "2026-11-01", "--until", "2026-12-01")
PASSWORD = "s3cret-Pass-9"


def run(*args: str, database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=bot_env(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )


def with_password(url: str) -> str:
    """The test server trusts every login, so a password in the URL is accepted and ignored:
    enough to see that none is ever printed."""
    return url.replace("postgres@", f"postgres:{PASSWORD}@", 1)


def people(bot: RunningBot, slack: Any) -> tuple[Person, Person]:
    client = SlackEventsClient(bot.url, SIGNING_SECRET, team_id="T1", api=slack)
    return Person("UAGENT", client, slack, bot), Person("UMGR", client, slack, bot)


def work_a_week_on_sqlite(bot: RunningBot, slack: Any, clock: Any) -> dict[str, str]:
    """Through requests, as the team would: returns the cases' refs by customer."""
    agent, _manager = people(bot, slack)
    agent.names_manager("UMGR")
    acme = agent.open_case("Acme Corp: refund for order SO-10042")
    agent.reply(acme, "Called them: the refund left our bank today")
    agent.command(f"promise {acme.ref} in 30 minutes: call back with the bank reference")
    agent.command(f"done {acme.ref}")
    globex = agent.open_case("Globex: parcel lost in transit")
    agent.command(f"promise {globex.ref} in 45 minutes: call back with the carrier's answer")
    initech = agent.open_case("Initech: printer on fire")
    agent.reply(initech, "Told them to unplug it")
    clock.advance(minutes=46)
    bot.tick()  # Globex's promise is missed: reminded, then escalated
    bot.tick()
    clock.advance(days=1)
    agent.command(f"close {initech.ref}")
    return {"acme": acme.ref, "globex": globex.ref, "initech": initech.ref}


@pytest.fixture
def sqlite_install(tmp_path, slack, clock) -> tuple[str, dict[str, str]]:
    url = f"sqlite:///{tmp_path / 'casekeeper.sqlite3'}"
    old = RunningBot(make_settings(slack, url), clock)
    try:
        refs = work_a_week_on_sqlite(old, slack, clock)
    finally:
        old.stop()  # the bot is stopped before the copy
    return url, refs


@needs_postgres
def test_copy_db_moves_a_sqlite_install_to_postgresql(tmp_path, slack, clock, sqlite_install, database_url):
    sqlite_url, refs = sqlite_install
    before = run("report", *WINDOW, database_url=sqlite_url, cwd=tmp_path)
    before_csv = run("report", *WINDOW, "--format", "csv", database_url=sqlite_url, cwd=tmp_path)
    assert before.returncode == 0, before.stderr
    assert "1/2 (50%)" in before.stdout  # one kept on time, one missed: a report with numbers

    migrate(bot_env(DATABASE_URL=database_url), tmp_path)
    copied = run("copy-db", "--to", with_password(database_url), database_url=sqlite_url, cwd=tmp_path)
    assert copied.returncode == 0, copied.stderr
    rows = dict(re.findall(r"^(\w+)\s+(\d+\s+\d+)$", copied.stdout, re.MULTILINE))
    assert rows["cases"].split() == ["3", "3"]
    assert (
        rows["promises"].split() == ["2", "2"] and rows["contacts"].split()[0] == rows["contacts"].split()[1]
    )
    assert int(rows["notifications"].split()[0]) > 0 and int(rows["contacts"].split()[0]) >= 2
    assert re.search(r"^alembic_version\s+(\w+)\s+\1$", copied.stdout, re.MULTILINE)
    assert "Copied" in copied.stdout and "postgres:***@" in copied.stdout
    assert PASSWORD not in copied.stdout + copied.stderr

    after = run("report", *WINDOW, database_url=database_url, cwd=tmp_path)
    after_csv = run("report", *WINDOW, "--format", "csv", database_url=database_url, cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    assert (after.stdout, after_csv.stdout) == (before.stdout, before_csv.stdout)

    # The bot, now on PostgreSQL: the next number, and the old cases found by their words.
    new = RunningBot(make_settings(slack, database_url), clock)
    try:
        agent, _ = people(new, slack)
        assert agent.open_case("Umbrella: invoice twice").ref == "CASE-4"
        found = agent.command("find SO-10042").text
        assert refs["acme"] in found and refs["globex"] not in found
        assert refs["globex"] in agent.command("find parcel").text
    finally:
        new.stop()

    # Run again, it refuses: the target has data now, and stays as it is.
    again = run("copy-db", "--to", with_password(database_url), database_url=sqlite_url, cwd=tmp_path)
    assert again.returncode == 2
    assert "already has data: " in again.stderr and "cases (4)" in again.stderr
    assert PASSWORD not in again.stdout + again.stderr


@needs_postgres
def test_counts_that_differ_fail_the_copy_and_keep_nothing(tmp_path, sqlite_install, database_url):
    sqlite_url, _ = sqlite_install
    migrate(bot_env(DATABASE_URL=database_url), tmp_path)
    engine = create_engine(database_url)
    with engine.begin() as connection:
        # Something in the target swallows half of one table's rows on the way in.
        connection.execute(
            text(
                "CREATE FUNCTION lose_some() RETURNS trigger AS $$ BEGIN"
                " IF NEW.id % 2 = 0 THEN RETURN NULL; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;"
                " CREATE TRIGGER lose_some BEFORE INSERT ON audit_entries"
                " FOR EACH ROW EXECUTE FUNCTION lose_some()"
            )
        )
    copied = run("copy-db", "--to", database_url, database_url=sqlite_url, cwd=tmp_path)
    assert copied.returncode == 1, copied.stdout + copied.stderr
    assert re.search(r"^audit_entries\s+\d+\s+\d+\s+differs$", copied.stdout, re.MULTILINE)
    assert re.search(r"audit_entries: (\d+) rows in SQLite, (\d+) copied", copied.stderr)
    assert "nothing was kept in the target" in copied.stderr
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM cases")).scalar_one() == 0
    engine.dispose()


@needs_postgres
def test_an_unmigrated_target_is_refused_with_what_to_run(tmp_path, sqlite_install, database_url):
    sqlite_url, _ = sqlite_install
    copied = run("copy-db", "--to", database_url, database_url=sqlite_url, cwd=tmp_path)
    assert copied.returncode == 2
    assert "is at no migration" in copied.stderr and "python -m bot migrate" in copied.stderr


@pytest.mark.backend_independent
def test_a_target_out_of_reach_is_said_without_its_password(tmp_path):
    sqlite_url = f"sqlite:///{tmp_path / 'casekeeper.sqlite3'}"
    Database(sqlite_url).migrate()
    closed = f"postgresql://casekeeper:{PASSWORD}@127.0.0.1:{free_port()}/casekeeper"
    copied = run("copy-db", "--to", closed, database_url=sqlite_url, cwd=tmp_path)
    assert copied.returncode == 2
    assert "can't reach the target postgresql+psycopg://casekeeper:***@127.0.0.1:" in copied.stderr
    assert PASSWORD not in copied.stdout + copied.stderr
    assert len(copied.stderr.strip().splitlines()) == 1, copied.stderr


@pytest.mark.backend_independent
def test_a_source_behind_the_newest_migration_is_refused(tmp_path):
    sqlite_url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with Database(sqlite_url).engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0010")
    copied = run("copy-db", "--to", "postgresql://u@127.0.0.1:1/x", database_url=sqlite_url, cwd=tmp_path)
    assert copied.returncode == 2
    assert "the database schema is at 0010, the code needs" in copied.stderr
    assert "python -m bot migrate" in copied.stderr


@pytest.mark.backend_independent
def test_a_source_a_worker_still_writes_to_is_refused(tmp_path):
    sqlite_url = f"sqlite:///{tmp_path / 'busy.sqlite3'}"
    db = Database(sqlite_url)
    db.migrate()
    sharing.beat(db, SystemClock())  # a worker, seconds ago
    db.dispose()
    copied = run("copy-db", "--to", "postgresql://u@127.0.0.1:1/x", database_url=sqlite_url, cwd=tmp_path)
    assert copied.returncode == 2
    assert "a worker is still running on" in copied.stderr and "stop the bot first" in copied.stderr


@pytest.mark.backend_independent
def test_copy_db_refuses_what_it_cannot_copy(tmp_path):
    sqlite_url = f"sqlite:///{tmp_path / 'casekeeper.sqlite3'}"
    to_sqlite = run("copy-db", "--to", "sqlite:///other.sqlite3", database_url=sqlite_url, cwd=tmp_path)
    assert to_sqlite.returncode == 2 and "--to must be a PostgreSQL URL" in to_sqlite.stderr
    missing = run("copy-db", "--to", "postgresql://u@127.0.0.1:1/x", database_url=sqlite_url, cwd=tmp_path)
    assert missing.returncode == 2 and "no database at" in missing.stderr
    assert not (tmp_path / "casekeeper.sqlite3").exists()
    helped = run("copy-db", "--help", database_url=sqlite_url, cwd=tmp_path)
    assert helped.returncode == 0 and "--to" in helped.stdout and "Stop the bot" in helped.stdout
    assert ROOT.exists()
