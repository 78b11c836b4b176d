"""Scheduler sweep: the dispatcher's pass over the outbox (bot/delivery/dispatcher.py `Dispatcher.tick`)
with 10k, 100k and 1M stored promises and 100 rows due, against the same pass at 10k in the same
run. The pass must grow with the rows due, not with the rows stored."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, create_engine, event, text
from sqlalchemy.engine import Connection

from bench.harness import Context, Row, Section, median, ms, slack_standin
from bot.app.build import build_services
from bot.app.settings import Settings
from bot.clock import ManualClock
from bot.delivery.dispatcher import Dispatcher
from storage import outbox
from storage.db import Database, make_engine

SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000)
REPEATS = 5
QUICK_REPEATS = 3
GOAL = 2.0
# Of the 100 due rows, these many are reminders; the rest are first escalations with their
# notes in the case thread (two rows per promise).
DUE_REMINDERS = 60
DUE_ESCALATIONS = 20
DUE = DUE_REMINDERS + 2 * DUE_ESCALATIONS
# The due sets' cases and promises get ids far above the stored ones, so growing the stored
# population after a measurement never collides with them.
DUE_IDS = 100_000_000
# Of every ten stored cases: six open with their promises in the future, three closed with their
# promises kept before the reminder's escalation, one closed after an escalation went out.
OPEN_CASES = 6
ESCALATED_CASE = 9
LOADED_TABLES = ("cases", "promises", "notifications")


def run(ctx: Context) -> Section:
    sizes = QUICK_SIZES if ctx.quick else SIZES
    repeats = QUICK_REPEATS if ctx.quick else REPEATS
    base = sizes[0]
    section = Section(
        "Scheduler sweep",
        f"The outbox is seeded set-based (INSERT … SELECT) with {_count(base)} stored promises, then "
        f"grown to {' and '.join(_count(n) for n in sizes[1:])}: two promises a case, six cases in ten "
        "open with their reminders and escalations waiting in the future, the rest closed history "
        "(sent and cancelled rows). At each size, "
        f"{repeats} times, {DUE} fresh rows are made due ({DUE_REMINDERS} reminders, "
        f"{DUE_ESCALATIONS} escalations and their thread notes) and the bot's own Dispatcher "
        "(bot.app.build_services) is timed in-process: the claim pass alone (every claim_due "
        "transaction tick() runs plus seconds_until_next()), then, on the same rows given back, the "
        "full tick() sending to the Slack stand-in. Medians; ratio = median at N / median at "
        f"{_count(base)} in the same run.",
    )
    slack = slack_standin()
    try:
        backends = [("SQLite", ctx.sqlite_url("sweep"))]
        postgres = ctx.postgres_schema_url("bench_sweep")
        if postgres is not None:
            backends.append(("PostgreSQL", postgres))
        for name, url in backends:
            _measure_backend(section, name, url, slack, sizes, repeats)
    finally:
        slack.stop()
    return section


def _measure_backend(
    section: Section, backend: str, url: str, slack: Any, sizes: tuple[int, ...], repeats: int
) -> None:
    db = Database(url)
    db.migrate()
    now = datetime.now(UTC).replace(microsecond=0)
    clock = ManualClock(now)
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": "bench-signing-secret",
            "SLACK_API_URL": slack.base_url,
            "DATABASE_URL": url,
            # Escalations go out whatever the hour the bench runs at, so every run sends the same.
            "WORKING_HOURS": "mon-sun 00:00-24:00",
        }
    )
    dispatcher = build_services(settings, db, clock).dispatcher
    seeder = Seeder(db, now)
    results: dict[int, tuple[float, float]] = {}
    try:
        for size in sizes:
            started = time.monotonic()
            seeder.grow_to(size)
            seeded = time.monotonic() - started
            # A warm-up pass: connections, the stand-in's DM channels, the people cache.
            _one_repeat(seeder, dispatcher)
            claims, ticks = [], []
            for _ in range(repeats):
                claim_seconds, tick_seconds = _one_repeat(seeder, dispatcher)
                claims.append(claim_seconds)
                ticks.append(tick_seconds)
            results[size] = (median(claims), median(ticks))
            stored = seeder.stored()
            print(
                f"  sweep {backend} {_count(size)} promises ({stored['notifications']:,} outbox rows, "
                f"seeded in {seeded:.1f}s): claim {ms(results[size][0])}, tick {ms(results[size][1])}"
            )
            if size == sizes[-1]:
                claim, tick = results[size]
                section.notes.append(
                    f"{backend} at {_count(size)}: {stored['cases']:,} cases, {stored['promises']:,}"
                    f" promises, {stored['notifications']:,} outbox rows of which {stored['pending']:,}"
                    f" pending (waiting in the future); loaded in {seeded:.1f}s. The claim pass is"
                    f" {claim / tick:.0%} of the"
                    " full tick: the rest is sending (rendering, the Slack calls, marking each row sent),"
                    " which grows with the due rows only."
                )
                section.notes.append(_plans(db, dispatcher, seeder, backend, size))
    finally:
        seeder.engine.dispose()
        db.dispose()
    base = sizes[0]
    for size in sizes:
        for index, part in ((0, "claim pass"), (1, "full tick, 100 sent")):
            value, baseline = results[size][index], results[base][index]
            ratio = value / baseline
            section.rows.append(
                Row(
                    case=f"{backend}, {part}, {_count(size)} stored promises",
                    value=ms(value),
                    baseline=ms(baseline),
                    ratio=f"{ratio:.2f}×",
                    goal=f"≤ {GOAL:g}× {_count(base)}",
                    met=ratio <= GOAL,
                )
            )


def _one_repeat(seeder: Seeder, dispatcher: Dispatcher) -> tuple[float, float]:
    """A fresh due set; the claim pass timed, its claims given back; then the full tick timed."""
    due = seeder.make_due()
    started = time.perf_counter()
    claimed = _claim_pass(dispatcher)
    claim_seconds = time.perf_counter() - started
    if sorted(c.id for c in claimed) != due:
        raise RuntimeError(f"the claim pass took {len(claimed)} rows, not the {len(due)} due")
    with dispatcher.db.transaction() as session:
        outbox.release(session, claimed)
    started = time.perf_counter()
    handled = dispatcher.tick()
    dispatcher.seconds_until_next()
    tick_seconds = time.perf_counter() - started
    sent = seeder.sent(due)
    if handled != len(due) or sent != len(due):
        raise RuntimeError(f"the tick handled {handled} and sent {sent} of the {len(due)} due rows")
    return claim_seconds, tick_seconds


def _claim_pass(dispatcher: Dispatcher) -> list[outbox.Claim]:
    """The database side of tick(), statement for statement: claim batches until one comes back
    short, then ask when the next row falls due."""
    claimed: list[outbox.Claim] = []
    while True:
        with dispatcher.db.transaction() as session:
            batch = outbox.claim_due(session, dispatcher.clock.now(), dispatcher.lease, dispatcher.batch)
        claimed += batch
        if len(batch) < dispatcher.batch:
            break
    dispatcher.seconds_until_next()
    return claimed


def _plans(db: Database, dispatcher: Dispatcher, seeder: Seeder, backend: str, size: int) -> str:
    """The query plans of the statements the claim pass runs, captured as the driver got them."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("UPDATE NOTIFICATIONS", "SELECT MIN")):
            statements.append((statement, parameters))

    due = seeder.make_due()
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        claimed = _claim_pass(dispatcher)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    with db.transaction() as session:
        outbox.release(session, claimed)
    # The first claim of each kind: abandoned, due, and the next-run query (batches repeat them).
    wanted, seen = [], set()
    for statement, parameters in statements:
        if statement not in seen:
            seen.add(statement)
            wanted.append((statement, parameters))
    lines = [f"Query plans of the claim pass on {backend} at {_count(size)} stored promises:"]
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in wanted:
            what = "claim abandoned" if "claimed_until <" in statement else "claim due"
            if statement.lstrip().upper().startswith("SELECT MIN"):
                what = "next_run_at"
            if db.dialect == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                plan = [row[3] for row in cursor.fetchall()]
            else:
                # Run for real (ANALYZE) to show the rows it touched, then undone.
                cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + statement, parameters)
                plan = [row[0] for row in cursor.fetchall()]
            raw.rollback()
            lines.append(f"{what}: " + " | ".join(line.strip() for line in plan))
    finally:
        raw.close()
    seeder.finish(due)
    return "\n".join(lines)


def _count(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


# -- seeding -----------------------------------------------------------------------------------


@dataclass
class Seeder:
    """Stored promises as the bot would have written them over time, in set-based SQL: this is
    a benchmark's fixture, not product code, so it speaks the schema directly."""

    db: Database
    now: datetime
    promises: int = 0
    due_sets: int = 0

    def __post_init__(self) -> None:
        self.epoch = int(self.now.timestamp())
        self.sql = _Dialect(self.db.dialect)
        # An engine of its own, so loading settings never reach the connections the bot's
        # dispatcher is measured on.
        if self.db.dialect == "sqlite":
            self.engine = create_engine(self.db.url)

            @event.listens_for(self.engine, "connect")
            def _loading(dbapi_connection, _record):  # type: ignore[no-untyped-def]
                dbapi_connection.isolation_level = None
                # Millions of index entries go in: with SQLite's 2 MB default cache the load
                # spends its time re-reading index pages. The seed is consistent by construction,
                # so its foreign keys are not checked row by row.
                for pragma in ("cache_size=-1000000", "foreign_keys=OFF", "busy_timeout=10000"):
                    dbapi_connection.execute(f"PRAGMA {pragma}")

            @event.listens_for(self.engine, "begin")
            def _begin(connection):  # type: ignore[no-untyped-def]
                connection.exec_driver_sql("BEGIN")

        else:
            self.engine = make_engine(self.db.url)

    def grow_to(self, promises: int) -> None:
        """Stored promises `self.promises + 1 .. promises`, two a case, with their outbox rows."""
        first_case, last_case = self.promises // 2 + 1, promises // 2
        first_promise = self.promises + 1
        sqlite = self.db.dialect == "sqlite"
        if sqlite:
            # Leaving WAL mode needs the only connection to the file: the bot's reconnect later.
            self.db.dispose()
        with self.engine.connect() as connection:
            if sqlite:
                # No journal while loading: the load is written once, not to the WAL and then
                # again by the checkpoint. A crash mid-load only loses the bench's fixture.
                connection.connection.driver_connection.execute("PRAGMA journal_mode=OFF")
            with connection.begin():
                # As a bulk load is done: secondary indexes built once at the end, not entry by
                # entry. They come back exactly as the migrations made them (their own DDL).
                rebuild = self.sql.drop_indexes(connection, LOADED_TABLES)
                self._cases(connection, first_case, last_case, stored=True)
                self._promises(connection, first_promise, promises, stored=True)
                self._rows(connection, first_case, last_case, first_promise, promises)
                for statement in rebuild:
                    connection.exec_driver_sql(statement)
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA journal_mode=WAL")
            else:
                # What autovacuum does soon after a load this size: plans rest on real counts.
                with connection.begin():
                    connection.execute(text("ANALYZE"))
        self.promises = promises

    def make_due(self) -> list[int]:
        """DUE rows due now, on open cases of their own: reminders, and escalations with their
        notes. Returns their ids."""
        self.due_sets += 1
        first_case = DUE_IDS + (self.due_sets - 1) * 1000 + 1
        per_set = DUE_REMINDERS + DUE_ESCALATIONS
        last_case = first_case + per_set // 2 - 1
        first_promise = first_case * 2 - 1
        last_promise = first_promise + per_set - 1
        with self.engine.begin() as connection:
            self._cases(connection, first_case, last_case, stored=False)
            self._promises(connection, first_promise, last_promise, stored=False)
            self._rows(connection, first_case, last_case, first_promise, last_promise)
            due = connection.execute(
                text(
                    "SELECT id FROM notifications WHERE state = 'pending' AND promise_id BETWEEN :lo AND :hi"
                    f" AND run_at <= {self.sql.at('0')} ORDER BY id"
                ),
                {"lo": first_promise, "hi": last_promise, "now": self.epoch},
            )
            ids = [row[0] for row in due]
        if len(ids) != DUE:
            raise RuntimeError(f"the due set has {len(ids)} rows due, not {DUE}")
        return ids

    def sent(self, ids: list[int]) -> int:
        with self.engine.connect() as connection:
            return connection.execute(
                text("SELECT count(*) FROM notifications WHERE state = 'sent' AND id IN :ids").bindparams(
                    bindparam("ids", expanding=True)
                ),
                {"ids": ids},
            ).scalar_one()

    def finish(self, ids: list[int]) -> None:
        """Rows made due only to show a plan: out of the way of the next pass."""
        with self.engine.begin() as connection:
            connection.execute(
                text("UPDATE notifications SET state = 'cancelled' WHERE id IN :ids").bindparams(
                    bindparam("ids", expanding=True)
                ),
                {"ids": ids},
            )

    def stored(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            counts = {
                table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("cases", "promises", "notifications")
            }
            counts["pending"] = connection.execute(
                text("SELECT count(*) FROM notifications WHERE state = 'pending'")
            ).scalar_one()
            return counts

    # One statement per table (per kind for the outbox), each over a range of numbers.

    def _cases(self, connection: Connection, lo: int, hi: int, stored: bool) -> None:
        at = self.sql.at
        if stored:
            # Open cases were opened this past week; closed ones 60 to 360 days ago.
            opened = (
                f"CASE WHEN i % 10 < {OPEN_CASES} THEN -(i * 37 % 604800)"
                " ELSE -5184000 - (i * 37 % 25920000) END"
            )
            owner, channel = "'UA' || CAST(i % 200 AS TEXT)", "'C' || CAST(i % 50 AS TEXT)"
            state = f"CASE WHEN i % 10 < {OPEN_CASES} THEN 'open' ELSE 'closed' END"
            closed_at = f"CASE WHEN i % 10 < {OPEN_CASES} THEN NULL ELSE {at(opened + ' + 259200')} END"
        else:
            opened, owner, channel, state, closed_at = "-3600", "'UAGENT'", "'C1'", "'open'", "NULL"
        self.sql.insert(
            connection,
            "cases (id, team_id, channel_id, owner_id, customer, summary, state, card_ts, opened_at,"
            " closed_at, priority, version)",
            f"i, 'T1', {channel}, {owner}, 'Customer ' || CAST(i AS TEXT), 'parcel not delivered', "
            f"{state}, CAST(:now + ({opened}) AS TEXT) || '.' || CAST(100000 + i % 900000 AS TEXT), "
            f"{at(opened)}, {closed_at}, 'normal', 1",
            lo,
            hi,
            self.epoch,
        )

    def _promises(self, connection: Connection, lo: int, hi: int, stored: bool) -> None:
        """Stored promises, or (not stored) a due set: its first DUE_REMINDERS promises are
        reminded now, the others escalate now."""
        # c: the promise's case; d: when it is due, in seconds from now (worked out once a row).
        at, case, due = self.sql.at, "c", "d"
        if stored:
            open_case = f"{case} % 10 < {OPEN_CASES}"
            # Open: due within the next 30 days. History: due two days after the case opened.
            due_from_now = (
                f"CASE WHEN (i + 1) / 2 % 10 < {OPEN_CASES} THEN 3600 + (i * 7919 % 2592000)"
                " ELSE -5184000 - ((i + 1) / 2 * 37 % 25920000) + 172800 END"
            )
            made = f"CASE WHEN {open_case} THEN -({case} * 37 % 604800) ELSE ({due}) - 172800 END"
            owner, manager = f"'UA' || CAST({case} % 200 AS TEXT)", f"'UM' || CAST({case} % 20 AS TEXT)"
            channel = f"'C' || CAST({case} % 50 AS TEXT)"
            state = f"CASE WHEN {open_case} THEN 'open' ELSE 'kept' END"
            # Kept before the escalation, or (one case in ten) after its first level went out.
            kept = f"CASE WHEN {case} % 10 = {ESCALATED_CASE} THEN ({due}) + 1200 ELSE ({due}) - 600 END"
            kept_at = f"CASE WHEN {open_case} THEN NULL ELSE {at(kept)} END"
            kept_by = f"CASE WHEN {open_case} THEN NULL ELSE {owner} END"
        else:
            due_from_now = f"CASE WHEN i - {lo} < {DUE_REMINDERS} THEN 899 ELSE -901 END"
            made, owner, manager, channel = "-3600", "'UAGENT'", "'UMGR'", "'C1'"
            state, kept_at, kept_by = "'open'", "NULL", "NULL"
        chain = self.sql.json(f"'[\"' || {manager} || '\", \"' || {channel} || '\"]'")
        self.sql.insert(
            connection,
            "promises (id, case_id, owner_id, description, due_at, remind_at, escalate_at, escalate_to,"
            " state, made_by, made_at, kept_at, kept_by, escalation_chain)",
            f"i, {case}, {owner}, 'call the customer back', {at(due)}, {at(f'({due}) - 900')}, "
            f"{at(f'({due}) + 900')}, {manager}, {state}, {owner}, {at(made)}, {kept_at}, {kept_by}, {chain}",
            lo,
            hi,
            self.epoch,
            derived=f"(i + 1) / 2 AS c, {due_from_now} AS d",
        )

    def _rows(self, connection: Connection, first_case: int, last_case: int, lo: int, hi: int) -> None:
        """What make_promise and open_case leave in the outbox, in the state time has brought."""
        plus, now = self.sql.plus, self.sql.at("0")
        # A promise's rows: the reminder, the first escalation and its thread note, the second
        # escalation, and the note made when the promise was.
        kinds = (
            ("reminder", 0, "p.owner_id", "NULL", "p.remind_at"),
            ("escalation", 1, "p.escalate_to", "NULL", "p.escalate_at"),
            ("escalation_note", 1, "c.channel_id", "c.card_ts", "p.escalate_at"),
            ("escalation", 2, "c.channel_id", "NULL", plus("p.escalate_at", 1800)),
            ("promise_note", 0, "c.channel_id", "c.card_ts", "p.made_at"),
        )
        payload = self.sql.json("'{}'")
        for kind, level, recipient, thread_ts, run_at in kinds:
            # Open promises: waiting (a promise escalating now had its reminder already); kept:
            # sent if it fell due before the promise was kept, else called off.
            state = (
                f"CASE WHEN '{kind}' = 'promise_note' THEN 'sent'"
                f" WHEN p.state = 'open' AND '{kind}' = 'reminder' AND p.escalate_at <= {now} THEN 'sent'"
                " WHEN p.state = 'open' THEN 'pending'"
                f" WHEN {run_at} < p.kept_at THEN 'sent' ELSE 'cancelled' END"
            )
            connection.execute(
                text(
                    "INSERT INTO notifications (team_id, kind, promise_id, level, dedupe_key, case_id,"
                    " recipient, thread_ts, payload, run_at, state, attempts, maybe_delivered, sent_at,"
                    f" created_at) SELECT 'T1', '{kind}', id, {level}, 'promise:' || CAST(id AS TEXT) ||"
                    f" '\\:{kind}\\:{level}', case_id, recipient, thread_ts, {payload}, run_at, state,"
                    f" CASE WHEN state = 'sent' THEN 1 ELSE 0 END, {self.sql.false},"
                    " CASE WHEN state = 'sent' THEN run_at END, made_at"
                    f" FROM (SELECT p.id, p.case_id, {recipient} AS recipient, {thread_ts} AS thread_ts,"
                    f" {run_at} AS run_at, {state} AS state, p.made_at"
                    " FROM promises p JOIN cases c ON c.id = p.case_id WHERE p.id BETWEEN :lo AND :hi) AS q"
                ),
                {"lo": lo, "hi": hi, "now": self.epoch},
            )
        # A case's card, posted when it was opened.
        connection.execute(
            text(
                "INSERT INTO notifications (team_id, kind, promise_id, level, dedupe_key, case_id, recipient,"
                " thread_ts, payload, run_at, state, attempts, maybe_delivered, delivered_channel, slack_ts,"
                " sent_at, created_at)"
                " SELECT 'T1', 'case_card', NULL, 0, 'case:' || CAST(c.id AS TEXT) || '\\:card', c.id,"
                f" c.channel_id, NULL, {payload}, c.opened_at, 'sent', 1, {self.sql.false}, c.channel_id,"
                " c.card_ts, c.opened_at, c.opened_at FROM cases c WHERE c.id BETWEEN :lo AND :hi"
            ),
            {"lo": first_case, "hi": last_case},
        )


class _Dialect:
    """The few places SQLite and PostgreSQL differ for the seed: a run of numbers, a time
    `seconds` from the bench's now (stored as each backend stores UTCDateTime), JSON, false."""

    def __init__(self, name: str):
        self.name = name
        self.false = "0" if name == "sqlite" else "false"

    def at(self, seconds: str) -> str:
        if self.name == "sqlite":
            # The text SQLAlchemy's SQLite DateTime writes, so comparisons with bound times hold.
            return f"(strftime('%Y-%m-%d %H:%M:%S', :now + ({seconds}), 'unixepoch') || '.000000')"
        return f"to_timestamp(:now + ({seconds}))"

    def plus(self, column: str, seconds: int) -> str:
        if self.name == "sqlite":
            return f"(strftime('%Y-%m-%d %H:%M:%S', {column}, '+{seconds} seconds') || '.000000')"
        return f"({column} + interval '{seconds} seconds')"

    def json(self, expression: str) -> str:
        return expression if self.name == "sqlite" else f"CAST({expression} AS JSON)"

    def drop_indexes(self, connection: Connection, tables: tuple[str, ...]) -> list[str]:
        """Drop the tables' secondary indexes, unique constraints and (PostgreSQL) foreign keys,
        where the backend lets them go; returns the DDL that makes them again. A foreign key
        made again checks every row at once, instead of row by row."""
        listed = ", ".join(f"'{table}'" for table in tables)
        if self.name == "sqlite":
            # A UNIQUE in the table's own definition (sql IS NULL) stays; it cannot be dropped.
            found = connection.exec_driver_sql(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({listed})"
                " AND sql IS NOT NULL"
            ).all()
            for name, _ in found:
                connection.exec_driver_sql(f'DROP INDEX "{name}"')
            return [sql for _, sql in found]
        rebuild: list[str] = []
        constraints = connection.exec_driver_sql(
            "SELECT c.conname, t.relname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
            " JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace s ON s.oid = t.relnamespace"
            f" WHERE c.contype IN ('u', 'f') AND s.nspname = current_schema() AND t.relname IN ({listed})"
            # Unique ones first when they are made again (drop order does not matter).
            " ORDER BY c.contype DESC"
        ).all()
        for name, table, definition in constraints:
            connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        indexes = connection.exec_driver_sql(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema()"
            f" AND i.tablename IN ({listed}) AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
            " WHERE c.conname = i.indexname)"
        ).all()
        for name, definition in indexes:
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
            rebuild.append(definition)
        return rebuild

    def insert(
        self, connection: Connection, into: str, columns: str, lo: int, hi: int, now: int, derived: str = ""
    ) -> None:
        """INSERT INTO `into` SELECT `columns` over i = lo .. hi (and the `derived` columns,
        worked out once a row)."""
        extra = f", {derived}" if derived else ""
        if self.name == "sqlite":
            statement = (
                "WITH RECURSIVE g(i) AS (SELECT :lo UNION ALL SELECT i + 1 FROM g WHERE i < :hi)"
                f" INSERT INTO {into} SELECT {columns} FROM (SELECT i{extra} FROM g) AS n"
            )
        else:
            # BIGINT: arithmetic on the numbers runs past int4.
            numbers = "generate_series(CAST(:lo AS BIGINT), CAST(:hi AS BIGINT)) AS g(i)"
            statement = f"INSERT INTO {into} SELECT {columns} FROM (SELECT i{extra} FROM {numbers}) AS n"
        connection.execute(text(statement), {"lo": lo, "hi": hi, "now": now})
