"""`make demo`: a whole case, start to escalation and on to a recurring-problem close, played
against the Slack stand-in the tests use, printing what each person would see and the buttons
each message carries. No Slack workspace, no credentials, under a minute. The story itself is
in slack_standin/demo_story.py.

The bot runs for real (Bolt behind waitress on 127.0.0.1, a SQLite file, the outbox
dispatcher); requests are signed the way Slack signs them; only the clock is moved by hand
so the reminder and escalation do not take half an hour. The story starts a few hours in the
past and ends before now, so `make demo KEEP=1` leaves a database whose promises are all due
by the time `python -m bot report` reads it."""

from __future__ import annotations

import contextlib
import shlex
import sys
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app.build import build_app, build_event_feed, build_services
from bot.app.settings import Settings
from bot.app.web import make_server
from bot.clock import ManualClock
from slack_standin import FakeSlackAPI, SlackEventsClient, demo_story
from slack_standin.demo_story import PEOPLE
from storage.db import Database

SECRET = "demo-signing-secret"
# Where `--keep` (make demo KEEP=1) leaves the database: the working directory.
KEPT_FILE = "casekeeper-demo.sqlite3"  # bot/app/cli.py names it too (KEPT_DEMO_FILE)
# The story starts this long before now, so all of it has happened when it ends.
STORY_SPAN = timedelta(hours=4)


def play(keep: bool = False) -> int:
    """The story; with `keep`, the database stays in the working directory afterwards, and how
    to try `python -m bot report` and `export` on it is printed."""
    start = datetime.now(UTC).replace(second=0, microsecond=0) - STORY_SPAN
    clock = ManualClock(start)
    with (
        _database_file(keep) as path,
        FakeSlackAPI(team_id="T1", time_func=lambda: clock.now().timestamp()) as slack,
    ):
        for user_id, (name, tz) in PEOPLE.items():
            slack.set_user(user_id, name=name, tz=tz)
        settings = _settings(slack.base_url, f"sqlite:///{path}")
        db = Database(settings.database_url)
        db.migrate()
        services = build_services(settings, db, clock)
        # The worker's event feed in this process: the story's thread replies get logged.
        events = build_event_feed(services).start()
        app = build_app(services, settings, wake_events=events.wake)
        server = make_server(app, db, host="127.0.0.1", port=0)
        threading.Thread(target=server.serve, daemon=True).start()
        alex = SlackEventsClient(f"http://127.0.0.1:{server.port}", SECRET, team_id="T1", api=slack)
        try:
            demo_story.play(alex, slack, services.dispatcher, clock)
        finally:
            server.shutdown(grace=5)
            services.stop_lanes(5)
            db.dispose()
        if keep:
            _tell_kept(path, start)
    return 0


def _settings(api_url: str, database_url: str) -> Settings:
    return Settings(
        bot_token="xoxb-demo",
        signing_secret=SECRET,
        app_token=None,
        api_url=api_url,
        database_url=database_url,
        port=0,
        reminder_lead=timedelta(minutes=15),
        escalation_grace=timedelta(0),
        escalation_repeat=timedelta(minutes=30),
    )


@contextlib.contextmanager
def _database_file(keep: bool) -> Iterator[Path]:
    if keep:
        path = Path.cwd() / KEPT_FILE
        # A fresh story each time: last run's cases would be counted twice.
        for old in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            old.unlink(missing_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "demo.sqlite3"


def _tell_kept(path: Path, start: datetime) -> None:
    url = shlex.quote(f"sqlite:///{path}")
    python = shlex.quote(sys.executable) if ".venv" not in sys.executable else ".venv/bin/python"
    print(
        f"\nThe demo's database is kept: {path}\nTry the operator tools on it:\n"
        f"  DATABASE_URL={url} {python} -m bot report --since 1d\n"
        f"  DATABASE_URL={url} {python} -m bot report --since 1d --format csv\n"
        f"  DATABASE_URL={url} {python} -m bot export CASE-1\n"
        f"  DATABASE_URL={url} {python} -m bot export --all --since {start:%Y-%m-%d}\n"
        "Run `make demo KEEP=1` again for a fresh one (it replaces this file)."
    )
