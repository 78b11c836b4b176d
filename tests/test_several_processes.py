"""Web and worker as separate processes: on SQLite they say at start that they must share one
file on one machine, a web with no worker beside it says that nothing will be sent, and on
PostgreSQL each process keeps to its connection pool (DB_POOL_SIZE, DB_MAX_OVERFLOW) and can
run behind PgBouncer with prepared statements off (`?prepare_threshold=none`)."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from bot.app import sharing
from bot.app.settings import Settings, SettingsError
from bot.app.worker import Worker
from slack_standin import FakeSlackAPI
from storage.db import Database
from tests.processes import BotProcess, bot_env, free_port

needs_postgres = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="needs PostgreSQL (scripts/with-postgres sets TEST_DATABASE_URL)",
)


def _with_query(url: str, option: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{option}"


# ---- SQLite: one file, one machine --------------------------------------------------------------


@pytest.mark.backend_independent
def test_web_alone_on_sqlite_says_which_file_it_must_share(tmp_path):
    port = free_port()
    # A relative path, as in .env.example: each process resolves it against its own folder.
    env = bot_env(
        SLACK_BOT_TOKEN="xoxb-alone",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL="http://127.0.0.1:9/",
        DATABASE_URL="sqlite:///data/casekeeper.sqlite3",
        PORT=str(port),
    )
    (tmp_path / "data").mkdir()
    web = BotProcess("web", env, tmp_path)
    try:
        web.wait_healthy(port)
        web.wait_for_log("db.sqlite_shared")
    finally:
        assert web.terminate() == 0
    warnings = [line for line in web.log().splitlines() if "db.sqlite_shared" in line]
    assert len(warnings) == 1, web.log()
    line = warnings[0]
    assert "WARNING" in line
    assert f"path={tmp_path.resolve() / 'data' / 'casekeeper.sqlite3'}:" in line
    assert "must share this one SQLite file on one machine" in line
    assert "several machines, use PostgreSQL" in line


@pytest.mark.backend_independent
def test_the_worker_alone_warns_too_and_a_web_started_after_it_sees_it(tmp_path):
    env = bot_env(
        SLACK_BOT_TOKEN="xoxb-alone",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL="http://127.0.0.1:9/",
        DATABASE_URL=f"sqlite:///{tmp_path / 'shared.sqlite3'}",
    )
    worker = BotProcess("worker", env, tmp_path)
    web = None
    try:
        worker.wait_for_log("worker.started")
        assert "db.sqlite_shared" in worker.log()
        port = free_port()
        web = BotProcess("web", {**env, "PORT": str(port)}, tmp_path)
        web.wait_healthy(port)
        # The worker beat as it started; the web finds that beat at once.
        web.wait_for_log("worker.seen")
    finally:
        if web is not None:
            web.terminate()
        worker.terminate()
    assert "worker.not_seen" not in web.log()


def test_a_web_with_no_worker_on_its_database_says_nothing_will_be_sent(bot, caplog):
    services = bot.services
    warning = sharing.worker_missing(bot.db, bot.clock.now(), "here.sqlite3")
    assert warning is not None
    assert "no worker has been seen on this database" in warning
    assert "nothing will be sent (reminders, escalations, digests) until a worker" in warning
    assert "last=never" in warning

    Worker(services).beat()
    assert sharing.worker_missing(bot.db, bot.clock.now(), "here.sqlite3") is None

    # A worker that stopped beating is gone after a while.
    bot.clock.advance(sharing.SEEN_WITHIN + timedelta(seconds=1))
    gone = sharing.worker_missing(bot.db, bot.clock.now(), "here.sqlite3")
    assert gone is not None and "last=last at" in gone


def test_the_web_watch_warns_once_its_wait_is_over(bot, caplog):
    caplog.set_level("INFO", logger="bot")
    sharing.watch_for_worker(bot.db, bot.settings, bot.clock, after=timedelta(milliseconds=50))
    deadline = threading.Event()
    for _ in range(100):
        if any("worker.not_seen" in r.getMessage() for r in caplog.records):
            break
        deadline.wait(0.05)
    warnings = [r for r in caplog.records if "worker.not_seen" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelname == "WARNING"


# ---- PostgreSQL: the pool and PgBouncer -------------------------------------------------------


@pytest.mark.backend_independent
def test_pool_settings_are_read_and_checked():
    settings = Settings.from_env({"DB_POOL_SIZE": "3", "DB_MAX_OVERFLOW": "0"})
    assert (settings.db_pool_size, settings.db_max_overflow) == (3, 0)
    defaults = Settings.from_env({})
    assert (defaults.db_pool_size, defaults.db_max_overflow) == (10, 10)
    with pytest.raises(SettingsError, match="DB_POOL_SIZE='0' must be a whole number, 1-1000"):
        Settings.from_env({"DB_POOL_SIZE": "0"})
    with pytest.raises(SettingsError, match="DB_MAX_OVERFLOW='lots'"):
        Settings.from_env({"DB_MAX_OVERFLOW": "lots"})
    with pytest.raises(SettingsError, match="prepare_threshold='maybe' must be none"):
        Settings.from_env({"DATABASE_URL": "postgresql://u@h/db?prepare_threshold=maybe"})


@needs_postgres
def test_a_process_keeps_to_its_pool(database_url):
    settings = Settings.from_env({"DATABASE_URL": database_url, "DB_POOL_SIZE": "2", "DB_MAX_OVERFLOW": "1"})
    db = Database(
        settings.database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow
    )
    held = [db.engine.connect() for _ in range(3)]
    got: list[object] = []
    waiting = threading.Thread(target=lambda: got.append(db.engine.connect()), daemon=True)
    try:
        assert db.engine.pool.size() == 2
        waiting.start()
        waiting.join(0.5)
        assert got == [], "a fourth connection was opened beyond DB_POOL_SIZE + DB_MAX_OVERFLOW"
        held.pop().close()
        waiting.join(5)
        assert len(got) == 1
    finally:
        for connection in held + got:
            connection.close()  # type: ignore[attr-defined]
        db.dispose()


@needs_postgres
def test_the_worker_says_its_pool_at_start(tmp_path, database_url):
    Database(database_url).migrate()
    with FakeSlackAPI(team_id="T1") as slack:
        env = bot_env(
            SLACK_BOT_TOKEN="xoxb-pool",
            SLACK_API_URL=slack.base_url,
            DATABASE_URL=database_url,
            DB_POOL_SIZE="4",
            DB_MAX_OVERFLOW="3",
        )
        worker = BotProcess("worker", env, tmp_path)
        try:
            worker.wait_for_log("worker.started")
        finally:
            assert worker.terminate() == 0
    assert "db.postgresql pool_size=4 max_overflow=3 prepared_statements=on" in worker.log()
    assert "db.sqlite_shared" not in worker.log()


def _prepared_after_repeating(db: Database) -> tuple[object, int]:
    with db.engine.connect() as connection:
        for _ in range(10):
            connection.execute(text("SELECT count(*) FROM pg_class WHERE relname = :name"), {"name": "cases"})
        prepared = connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()
        return connection.connection.driver_connection.prepare_threshold, prepared  # type: ignore[union-attr]


@needs_postgres
def test_prepare_threshold_none_in_the_url_turns_prepared_statements_off(database_url):
    behind_pgbouncer = Database(_with_query(database_url, "prepare_threshold=none"))
    direct = Database(database_url)
    try:
        threshold, prepared = _prepared_after_repeating(behind_pgbouncer)
        assert (threshold, prepared) == (None, 0)
        # psycopg's default: a statement run 5 times is prepared on the server.
        threshold, prepared = _prepared_after_repeating(direct)
        assert threshold == 5 and prepared >= 1
    finally:
        behind_pgbouncer.dispose()
        direct.dispose()
