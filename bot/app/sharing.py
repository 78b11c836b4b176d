"""Processes that share one database, and what they say at start so an operator doesn't split
the data without knowing it.

`web` and `worker` only work together when they use the same database. On SQLite that means the
same file on the same machine: a relative DATABASE_URL path is resolved against each process's
own working directory, so two processes started from different folders would each make their
own file, and the web's cases would never reach the worker's reminders. So on SQLite `web` and
`worker` say at start which file they use, as an absolute path, and that it must be shared.

And every worker beats (storage/heartbeats.py) every BEAT_EVERY; a `web` looks for a beat a
little after it starts and warns when no worker has been seen: nothing would be sent. `run`
starts both itself and says neither."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from pathlib import Path

from bot.app.child_worker import is_child
from bot.app.settings import Settings
from bot.clock import Clock
from storage import heartbeats
from storage.db import Database

log = logging.getLogger("bot")

WORKER = "worker"
# How often a worker says it is there; a beat older than SEEN_WITHIN is a worker gone.
BEAT_EVERY = timedelta(seconds=30)
SEEN_WITHIN = timedelta(minutes=2)
# How long a `web` started alone gives a worker started beside it (the Procfile starts both at
# once) before it looks: a worker beats as soon as it starts.
LOOK_AFTER = timedelta(seconds=60)


def sqlite_path(settings: Settings) -> str | None:
    """The SQLite file's absolute path, as this process resolves it; None on PostgreSQL."""
    if not settings.is_sqlite:
        return None
    from sqlalchemy.engine import make_url

    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        return ":memory:"
    return str(Path(database).resolve())


def announce(command: str, settings: Settings, db: Database) -> None:
    """One line at start about the database this process shares with the others."""
    path = sqlite_path(settings)
    if path is None:
        from storage.db import prepare_threshold

        _, threshold = prepare_threshold(settings.database_url)
        log.info(
            "db.postgresql pool_size=%s max_overflow=%s prepared_statements=%s",
            db.pool_size,
            db.max_overflow,
            "off" if threshold is None else "on",
        )
    elif command in ("web", "worker") and not is_child():
        # `run`'s own worker (bot/app/child_worker.py) shares the file by construction.
        log.warning(
            "db.sqlite_shared path=%s: the web and worker processes must share this one SQLite file"
            " on one machine (the same DATABASE_URL path); to run them on several machines, use"
            " PostgreSQL",
            path,
        )
    else:
        log.info("db.sqlite path=%s", path)


def beat(db: Database, clock: Clock) -> None:
    """This worker is here (a scheduler job of bot/app/worker.py)."""
    with db.transaction() as session:
        heartbeats.beat(session, role=WORKER, host=socket.gethostname(), pid=os.getpid(), now=clock.now())


def worker_missing(db: Database, now: datetime, where: str) -> str | None:
    """What to warn when no worker has beaten on this database lately; None when one has."""
    with db.transaction() as session:
        seen = heartbeats.last_seen(session, WORKER)
        if seen is not None and now - seen.seen_at <= SEEN_WITHIN:
            log.info(
                "worker.seen host=%s pid=%s seconds_ago=%d",
                seen.host,
                seen.pid,
                (now - seen.seen_at).total_seconds(),
            )
            return None
    last = "never" if seen is None else f"last at {seen.seen_at:%Y-%m-%d %H:%M:%S} UTC on {seen.host}"
    return (
        f"worker.not_seen on={where} last={last}: no worker has been seen on this database in the"
        f" last {int(SEEN_WITHIN.total_seconds() // 60)} minutes; nothing will be sent (reminders,"
        " escalations, digests) until a worker (`python -m bot worker`) runs on it"
    )


def watch_for_worker(
    db: Database, settings: Settings, clock: Clock, *, after: timedelta = LOOK_AFTER
) -> None:
    """For a `web` started alone: look for a worker now (an info line if one is there) and, if
    none is, once more after `after`, then warn if there is still none. On a daemon thread: it
    never holds up the start or the stop."""
    where = sqlite_path(settings) or "postgresql"

    def look() -> None:
        try:
            if worker_missing(db, clock.now(), where) is None:
                return
            threading.Event().wait(after.total_seconds())
            warning = worker_missing(db, clock.now(), where)
            if warning:
                log.warning("%s", warning)
        except Exception:  # a database that isn't there is said elsewhere (health, requests)
            log.warning("worker.look_failed", exc_info=True)

    threading.Thread(target=look, name="look-for-worker", daemon=True).start()
