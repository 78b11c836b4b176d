"""Engine and unit-of-work sessions, with the per-backend options that make them safe to share
between threads (SQLite) and processes (PostgreSQL)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.sqlite_turns import ProcessTurns

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"

# PostgreSQL connections one process keeps open (DB_POOL_SIZE), and how many more it may open
# in a burst (DB_MAX_OVERFLOW); past both, a thread waits for a free one (up to 30 s) rather
# than fail. A thread holds a connection only inside a transaction, and no Slack call is ever
# made inside one (flows send their outbox rows after commit; the dispatcher claims, sends,
# then records), so what counts is how many threads can be in the middle of a few-millisecond
# write at once, not how many threads there are:
# - web: 16 HTTP threads (bot/app/web.py HTTP_THREADS) write an event's inbox row or read a
#   workspace's token before the ack, and /healthz pings; 16 after-ack threads
#   (bot/app/build.py AFTER_ACK_THREADS) do the command's work; Bolt's 32 listener threads
#   (LISTENER_THREADS) only ack and hand over.
# - worker: 32 sender threads (bot/delivery/dispatcher.py SENDER_THREADS, one lane each at a
#   time, bot/delivery/lanes.py) each record an outcome after a Slack call of 100 ms or more,
#   the dispatcher's loop claims, 2 scheduler jobs, 4 event threads
#   (handlers/listeners/events.py EVENT_THREADS).
# 10 kept open carry the steady load of either; 10 more cover the burst where all 16 HTTP
# threads write at once beside a few others. So one process uses at most 20 (README → "One
# box or several" has the budget for N processes against max_connections). On SQLite these
# don't apply: this process's transactions take turns (Turns below).
DEFAULT_POOL_SIZE = 10
DEFAULT_MAX_OVERFLOW = 10
# DATABASE_URL's query option for running behind PgBouncer in transaction mode:
# `?prepare_threshold=none` turns psycopg's server-side prepared statements off (a prepared
# statement lives on one server connection, and PgBouncer hands each transaction any one).
PREPARE_THRESHOLD = "prepare_threshold"
# Any constant works; it only has to be the same in every process of one deployment.
MIGRATION_LOCK_ID = 0x6361_7365  # "case"


class Database:
    def __init__(
        self,
        url: str,
        *,
        yields_to_acks: bool = False,
        pool_size: int = DEFAULT_POOL_SIZE,
        max_overflow: int = DEFAULT_MAX_OVERFLOW,
    ):
        """`yields_to_acks`: this process's writes wait a moment for another process's writes
        that Slack is waiting on (the worker's, on SQLite: storage/sqlite_turns.py)."""
        self.url = url
        # PostgreSQL only (SQLite's transactions take turns): what this engine's pool holds.
        self.pool_size, self.max_overflow = pool_size, max_overflow
        self.engine = make_engine(url, pool_size=pool_size, max_overflow=max_overflow)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time and its busy handler polls with growing sleeps, so
        # under load a short write (an event's inbox row, before Slack's 3 s run out) can lose
        # the race again and again to longer ones. Queuing this process's transactions hands
        # the database over at once instead, and the file lock hands it over between processes.
        # PostgreSQL needs none of this.
        self._turns = None
        if self.dialect == "sqlite":
            across = ProcessTurns.for_file(self.engine.url.database, yields=yields_to_acks)
            self._turns = Turns(across)
        # For reads that must never wait for the writers nor hold them up (read_only() below).
        self._reader: Engine | None = None
        self._reader_lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, *, urgent: bool = False) -> Iterator[Session]:
        """One unit of work: committed once at the end, rolled back on any exception.

        On SQLite the transaction starts with BEGIN IMMEDIATE, so a read-then-write never
        fails half-way with "database is locked"; it waits (busy_timeout) instead. `urgent`:
        someone is waiting on it (Slack, for its ack), so it goes before the queued others."""
        turn = self._turns.turn(urgent) if self._turns is not None else contextlib.nullcontext()
        with turn, self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read_only(self) -> Iterator[Session]:
        """A read that neither waits for this process's writers nor holds them up (health
        checks, /metrics): on SQLite a plain BEGIN on its own connections, no write lock and no
        turn in line; on PostgreSQL a read-only transaction. It may see a moment's old data."""
        if self.in_memory:
            # Another connection would open another, empty, database.
            with self.transaction() as session:
                yield session
            return
        with self._reader_lock:
            if self._reader is None:
                self._reader = make_engine(self.url, read_only=True)
        # As transaction(): what was read stays readable once the transaction is over.
        with Session(self._reader, expire_on_commit=False) as session, session.begin():
            yield session

    @property
    def in_memory(self) -> bool:
        return self.dialect == "sqlite" and self.engine.url.database in (None, "", ":memory:")

    def ping(self) -> bool:
        """Whether the database answers, even while a writer holds SQLite's write lock."""
        try:
            with self.read_only() as session:
                session.execute(text("SELECT 1"))
            return True
        except Exception:  # any failure means "not reachable" to a health check
            log.warning("db.ping_failed", exc_info=True)
            return False

    def migrate(self) -> None:
        """Bring the schema up to date (Alembic). Safe to call from several processes at once:
        on PostgreSQL the upgrade runs under an advisory lock."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            if self.dialect == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        self.engine.dispose()
        if self._turns is not None:
            self._turns.close()
        if self._reader is not None:
            self._reader.dispose()


class Turns:
    """This process's SQLite transactions, one at a time, re-entrant for the thread holding
    the turn, with urgent ones first. Under a storm of thread replies the queue is long with
    the work that follows each ack; an event's inbox row, written before its ack, must not
    wait behind all of it (measured in bench/: it was three quarters of the ack latency).

    The turn is handed to exactly one waiter when it is given up, each waiter on its own event:
    waking every waiter to let them race for it cost more CPU than the transactions themselves
    when dozens were waiting (measured with py-spy in bench/RESULTS.md)."""

    def __init__(self, across: ProcessTurns | None = None) -> None:
        # The same turn between this box's processes (None: no other process can share it).
        self._across = across
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        # Waiting threads, each with the event that tells it the turn is its own now.
        self._urgent: deque[threading.Event] = deque()
        self._normal: deque[threading.Event] = deque()

    @contextmanager
    def turn(self, urgent: bool = False) -> Iterator[None]:
        me = threading.get_ident()
        with self._lock:
            if self._owner == me:
                self._depth += 1
                handed = None
                first = False
            elif self._owner is None:
                self._owner, self._depth = me, 1
                handed = None
                first = True
            else:
                handed = threading.Event()
                (self._urgent if urgent else self._normal).append(handed)
                first = True
        across = self._across if first else None
        if across is not None and urgent:
            across.urgent_waiting()
        try:
            if handed is not None:
                self._wait_for(handed, urgent, me)
            if across is not None:
                self._take_across(across, urgent)
            try:
                yield
            finally:
                with self._lock:
                    self._depth -= 1
                    if self._depth == 0:
                        if across is not None:
                            across.release()
                        self._hand_on()
        finally:
            if across is not None and urgent:
                across.urgent_done()

    def _take_across(self, across: ProcessTurns, urgent: bool) -> None:
        """This process's turn is ours: now the other processes'. Given up on failure, so the
        next thread here is not left waiting."""
        try:
            across.acquire(urgent=urgent)
        except BaseException:
            with self._lock:
                self._depth = 0
                self._hand_on()
            raise

    def close(self) -> None:
        if self._across is not None:
            self._across.close()
            self._across = None

    def _wait_for(self, handed: threading.Event, urgent: bool, me: int) -> None:
        try:
            handed.wait()
        except BaseException:
            # Given up waiting (interrupted): take our place out of the line, or, if the turn
            # reached us meanwhile, pass it on.
            with self._lock:
                line = self._urgent if urgent else self._normal
                if handed in line:
                    line.remove(handed)
                elif handed.is_set():
                    self._depth = 0
                    self._hand_on()
            raise
        with self._lock:
            self._owner, self._depth = me, 1

    def _hand_on(self) -> None:
        """With the lock held: the turn to the next waiter, urgent ones first, or to nobody."""
        line = self._urgent or self._normal
        self._owner = None
        if line:
            # Marked taken now, so no newcomer slips in before the woken thread runs.
            self._owner = -1
            line.popleft().set()


def prepare_threshold(url: str) -> tuple[str, int | None | Literal[False]]:
    """The URL without our `prepare_threshold` option, and its value for psycopg: None (never
    prepare: PgBouncer in transaction mode), a number of executions before a statement is
    prepared, or False when the URL doesn't say (psycopg's default). ValueError for a value
    that is neither."""
    parsed = make_url(url)
    if PREPARE_THRESHOLD not in parsed.query:
        return url, False
    raw = parsed.query[PREPARE_THRESHOLD]
    raw = raw[-1] if isinstance(raw, tuple) else raw
    stripped = parsed.difference_update_query([PREPARE_THRESHOLD]).render_as_string(hide_password=False)
    if raw.strip().lower() in ("none", "off", "0", ""):
        return stripped, None
    if raw.strip().isdigit():
        return stripped, int(raw)
    raise ValueError(f"prepare_threshold={raw!r} must be none (behind PgBouncer) or a whole number")


def make_engine(
    url: str,
    *,
    read_only: bool = False,
    pool_size: int = DEFAULT_POOL_SIZE,
    max_overflow: int = DEFAULT_MAX_OVERFLOW,
) -> Engine:
    """The bot's engine; or, read_only, one for an operator's long reads (the audit export)
    that never blocks the bot's writers: on SQLite a plain (deferred) BEGIN, which in WAL mode
    reads one snapshot and takes no write lock, where the bot's BEGIN IMMEDIATE would hold the
    one write lock for as long as the read takes; on PostgreSQL a read-only REPEATABLE READ
    transaction, so every statement of one read sees the same snapshot."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        pragmas = (
            ("busy_timeout=10000", "query_only=ON")
            if read_only
            else ("journal_mode=WAL", "busy_timeout=10000", "foreign_keys=ON", "synchronous=NORMAL")
        )
        begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            for pragma in pragmas:
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):  # type: ignore[no-untyped-def]
            connection.exec_driver_sql(begin)

        return engine
    url, threshold = prepare_threshold(url)
    connect_args = {} if threshold is False else {"prepare_threshold": threshold}
    if read_only:
        return create_engine(
            url, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args
        ).execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
    return create_engine(
        url,
        # What people typed (customer names, order numbers) is bound to statements: an error
        # message must not carry it into the logs.
        hide_parameters=True,
        pool_pre_ping=True,  # a restarted PostgreSQL leaves dead pooled connections behind
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_args=connect_args,
    )
