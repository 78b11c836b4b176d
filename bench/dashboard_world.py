"""A year of a big support team, written straight into the tables in big batches (Core
executemany): the dashboard benchmark's data, and the lead's for timing the whole team page.

20 agents under 2 managers (UMGR1, UMGR2) who own a few cases too, an admin (UADMIN), and a
second workspace (T2) so the team filter has something to leave out. Cases opened over 52 weeks
before `now`, most of them closed, a quarter of those as recurring in one of a score of
categories (written in different ways). Contacts at delays that depend on the priority, a few
internal notes among them. About 1.3 promises a case: kept early, on time or late, missed,
rescheduled with the customer told (and replaced), cancelled; each with its reminder and two
escalation levels in the outbox (the manager, then the channel), sent or cancelled as the
promise went, and escalations acknowledged after a while or never."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from storage.db import Database
from storage.models import Case, Contact, ManagerLink, Notification, Person, Promise

TEAM = "T1"
OTHER_TEAM = "T2"
ADMIN = "UADMIN"
MANAGERS = ("UMGR1", "UMGR2")
AGENTS = tuple(f"UAGENT{n:02d}" for n in range(1, 21))
ZONES = ("America/New_York", "Europe/Berlin", "Asia/Kolkata", "America/Los_Angeles", "Australia/Sydney")
CATEGORIES = [f"Problem {name}" for name in "ABCDEFGHIJKLMNOPQRST"]
# Median minutes to the first contact, by priority.
FIRST_CONTACT = {"urgent": 15, "high": 60, "normal": 240, "low": 720}
PRIORITY_WEIGHTS = {"urgent": 5, "high": 20, "normal": 60, "low": 15}
FATES = {
    "early": 20,
    "on_time": 38,
    "late": 15,
    "missed": 10,
    "rescheduled": 10,
    "cancelled": 5,
    "cancelled_late": 2,
}
BATCH = 20_000
WEEKS = 52
LEAD = timedelta(minutes=15)
REPEAT = timedelta(minutes=30)


@dataclass(frozen=True)
class SeededWorld:
    team_id: str
    admin_id: str
    manager_ids: tuple[str, ...]
    agent_ids: tuple[str, ...]
    now: datetime
    counts: dict[str, int] = field(default_factory=dict)

    def team_of(self, manager_id: str) -> frozenset[str]:
        """The manager's audience (bot/reports.audience): their agents and themselves."""
        index = MANAGERS.index(manager_id)
        return frozenset({manager_id, *AGENTS[index::2]})


def seed(url: str, *, cases: int, contacts: int, seed: int = 1) -> SeededWorld:
    """Migrate the database at `url` and fill it (it should be empty): `cases` cases, about
    `contacts` contacts, about 1.3 promises a case."""
    db = Database(url)
    db.migrate()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    # About 3% of cases never reach the customer, and contacts planned after `now` are left out.
    writer = _Writer(random.Random(seed), now, cases, contacts / cases / 0.965)
    try:
        with db.engine.begin() as connection:
            writer.people(connection)
            for first in range(0, cases, BATCH // 10):
                writer.cases(connection, range(first + 1, min(cases, first + BATCH // 10) + 1))
            writer.flush(connection, everything=True)
            if db.dialect == "postgresql":
                for table in ("cases", "contacts", "promises", "notifications", "people", "manager_links"):
                    connection.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
                    )
        if db.dialect == "postgresql":
            # What autovacuum does soon after a load this size (PostgreSQL 13+ vacuums after
            # many inserts too): plans rest on real counts, index-only scans on a visibility map.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
    finally:
        db.dispose()
    return SeededWorld(TEAM, ADMIN, MANAGERS, AGENTS, now, dict(writer.written))


class _Writer:
    def __init__(self, rng: random.Random, now: datetime, cases: int, contacts_per_case: float):
        self.rng, self.now, self.case_count, self.per_case = rng, now, cases, contacts_per_case
        self.rows: dict[Any, list[dict[str, Any]]] = {Case: [], Contact: [], Promise: [], Notification: []}
        self.written: dict[str, int] = {}
        self.next_contact = self.next_promise = self.next_notification = 1

    def people(self, connection: Any) -> None:
        links = [
            {"team_id": TEAM, "user_id": agent, "manager_id": MANAGERS[n % 2], "set_at": self.now}
            for n, agent in enumerate(AGENTS)
        ]
        connection.execute(insert(ManagerLink), links)
        people = [
            {"team_id": TEAM, "user_id": user, "tz": ZONES[n % len(ZONES)], "fetched_at": self.now}
            for n, user in enumerate((ADMIN, *MANAGERS, *AGENTS))
        ]
        connection.execute(insert(Person), people)

    def flush(self, connection: Any, everything: bool = False) -> None:
        """Write the rows held once any kind has a batch's worth, all kinds in turn: a contact
        goes in after its case (the foreign keys are checked)."""
        if not everything and max(len(rows) for rows in self.rows.values()) < BATCH:
            return
        for model, rows in self.rows.items():
            if rows:
                connection.execute(insert(model), rows)
                self.written[model.__tablename__] = self.written.get(model.__tablename__, 0) + len(rows)
                rows.clear()

    def cases(self, connection: Any, ids: range) -> None:
        for case_id in ids:
            self.case(case_id)
            self.flush(connection)

    def case(self, case_id: int) -> None:
        rng, now = self.rng, self.now
        team = OTHER_TEAM if rng.random() < 0.05 else TEAM
        owner = rng.choice(MANAGERS) if rng.random() < 0.1 else rng.choice(AGENTS)
        # Case ids follow opening times, as the database hands them out.
        opened = now - timedelta(minutes=WEEKS * 7 * 24 * 60 * (1 - case_id / (self.case_count + 1)))
        priority = rng.choices(list(PRIORITY_WEIGHTS), weights=list(PRIORITY_WEIGHTS.values()))[0]
        closed = opened + timedelta(minutes=rng.randint(60, 14 * 24 * 60)) if rng.random() < 0.92 else None
        if closed is not None and closed >= now:
            closed = None
        recurring = closed is not None and rng.random() < 0.25
        category = self._category() if recurring else None
        channel = f"C{team}{case_id % 7}"
        row = {
            "id": case_id,
            "team_id": team,
            "channel_id": channel,
            "owner_id": owner,
            "customer": f"Customer {case_id}",
            "summary": f"Problem report {case_id}",
            "state": "closed" if closed else "open",
            "card_ts": f"{opened.timestamp():.0f}.{case_id:06d}",
            "opened_at": opened,
            "closed_at": closed,
            "closed_by": owner if closed else None,
            "priority": priority,
            "recurrence": None if closed is None else ("recurring" if recurring else "single"),
            "category": category,
            "category_key": " ".join(category.split()).casefold() if category else None,
        }
        self.rows[Case].append(row)
        # As bot/cases.reached keeps it when contacts are logged.
        row["first_contact_at"] = self._contacts(case_id, channel, owner, opened, priority, closed or now)
        self._promises(case_id, team, channel, owner, opened, closed)

    def _category(self) -> str:
        # A few categories come back far more often than the rest.
        name = self.rng.choices(CATEGORIES, weights=[1 / (n + 1) for n in range(len(CATEGORIES))])[0]
        return self.rng.choice([name, name.upper(), name.lower(), name.replace(" ", "  ")])

    def _contacts(
        self, case_id: int, channel: str, owner: str, opened: datetime, priority: str, until: datetime
    ) -> datetime | None:
        """The case's contacts; returns the first that reached the customer (not a note)."""
        rng = self.rng
        reached = None
        if rng.random() < 0.03:
            return reached
        first = opened + timedelta(minutes=rng.lognormvariate(0, 1) * FIRST_CONTACT[priority])
        count = max(1, round(rng.uniform(0.3, 1.7) * self.per_case))
        times = [first] + sorted(first + (until - first) * rng.random() for _ in range(count - 1))
        for number, posted in enumerate(times):
            if posted > self.now:
                break
            # Now and then an internal note comes before anyone reached the customer.
            note = number > 0 and rng.random() < 0.1 or number == 0 and rng.random() < 0.03
            self.rows[Contact].append(
                {
                    "id": self.next_contact,
                    "case_id": case_id,
                    "channel_id": channel,
                    "ts": f"{posted.timestamp():.0f}.{self.next_contact:07d}",
                    "author_id": owner,
                    "text": "Spoke to the customer",
                    "posted_at": posted,
                    "logged_at": posted,
                    "kind": "note" if note else "contact",
                }
            )
            self.next_contact += 1
            if not note and reached is None:
                reached = posted
        return reached

    def _promises(
        self, case_id: int, team: str, channel: str, owner: str, opened: datetime, closed: datetime | None
    ) -> None:
        rng = self.rng
        made = opened + timedelta(minutes=rng.randint(10, 2 * 24 * 60))
        for _ in range(rng.choices([0, 1, 2, 3], weights=[20, 45, 25, 10])[0]):
            if made >= self.now:
                return
            due = made + timedelta(minutes=rng.randint(60, 3 * 24 * 60))
            fate = rng.choices(list(FATES), weights=list(FATES.values()))[0]
            if fate == "rescheduled" and due < self.now:
                moved = made + (due - made) * rng.random()
                self._promise(case_id, team, channel, owner, made, due, "rescheduled", moved)
                made, due = moved, due + timedelta(minutes=rng.randint(60, 2 * 24 * 60))
                fate = rng.choice(["early", "on_time", "late"])
            if fate == "missed" and (closed is not None or due >= self.now):
                fate = "cancelled_late" if closed is not None else "on_time"
            self._promise(case_id, team, channel, owner, made, due, fate, None)
            made = due + timedelta(minutes=rng.randint(10, 600))

    def _promise(
        self,
        case_id: int,
        team: str,
        channel: str,
        owner: str,
        made: datetime,
        due: datetime,
        fate: str,
        moved: datetime | None,
    ) -> None:
        rng, now = self.rng, self.now
        remind = due - LEAD
        settled = {
            "early": made + (remind - made) * rng.random(),
            "on_time": remind + LEAD * rng.random(),
            "late": due + timedelta(minutes=rng.lognormvariate(4, 1)),
            "cancelled": made + (due - made) * rng.random(),
            "cancelled_late": due + timedelta(minutes=rng.lognormvariate(5, 1)),
            "rescheduled": moved,
            "missed": None,
        }[fate]
        if settled is not None and settled > now:
            settled = None
        state = _state(fate) if settled is not None else "open"
        manager = MANAGERS[AGENTS.index(owner) % 2] if owner in AGENTS else None
        promise_id = self.next_promise
        self.next_promise += 1
        escalated = due < now and (settled is None or settled > due)
        acknowledged = None
        if escalated and manager is not None and rng.random() < 0.6:
            acknowledged = due + timedelta(minutes=rng.lognormvariate(3, 1))
            acknowledged = acknowledged if acknowledged < (settled or now) else None
        self.rows[Promise].append(
            {
                "id": promise_id,
                "case_id": case_id,
                "owner_id": owner,
                "description": f"call back about order {promise_id}",
                "due_at": due,
                "remind_at": remind,
                "escalate_at": due,
                "escalate_to": manager,
                "state": state,
                "made_by": owner,
                "made_at": made,
                "kept_at": settled if state == "kept" else None,
                "kept_by": owner if state == "kept" else None,
                "escalation_chain": [manager, channel] if manager else [channel],
                "acknowledged_at": acknowledged,
                "acknowledged_by": manager if acknowledged else None,
                "rescheduled_at": settled if state == "rescheduled" else None,
                "rescheduled_by": owner if state == "rescheduled" else None,
                "customer_told": True if state in ("rescheduled", "cancelled") else None,
                "cancelled_at": settled if state == "cancelled" else None,
                "cancelled_by": owner if state == "cancelled" else None,
                "cancel_reason": "no longer needed" if state == "cancelled" else None,
            }
        )
        stopped = min(t for t in (settled, acknowledged, now) if t is not None)
        self._outbox(
            promise_id,
            case_id,
            team,
            owner,
            remind,
            due,
            [manager, channel] if manager else [channel],
            stopped,
        )

    def _outbox(
        self,
        promise_id: int,
        case_id: int,
        team: str,
        owner: str,
        remind: datetime,
        due: datetime,
        chain: list[str | None],
        stopped: datetime,
    ) -> None:
        """The reminder and each escalation level: sent when its time came before the promise
        was settled or acknowledged (a second or two late), cancelled when it was settled first,
        pending when its time is still to come."""
        planned = [("reminder", 0, owner, remind)] + [
            ("escalation", level, to, due + (level - 1) * REPEAT) for level, to in enumerate(chain, start=1)
        ]
        for kind, level, recipient, run_at in planned:
            if run_at <= stopped:
                state, sent = "sent", run_at + timedelta(seconds=self.rng.uniform(0.2, 3))
            else:
                state, sent = ("pending" if stopped == self.now else "cancelled"), None
            self.rows[Notification].append(
                {
                    "id": self.next_notification,
                    "team_id": team,
                    "kind": kind,
                    "promise_id": promise_id,
                    "level": level,
                    "dedupe_key": f"{kind}:{promise_id}:{level}",
                    "case_id": case_id,
                    "recipient": recipient,
                    "payload": {},
                    "run_at": run_at,
                    "state": state,
                    "attempts": 1 if sent else 0,
                    "maybe_delivered": False,
                    "sent_at": sent,
                    "created_at": run_at - timedelta(hours=1),
                }
            )
            self.next_notification += 1


def _state(fate: str) -> str:
    if fate in ("early", "on_time", "late"):
        return "kept"
    if fate in ("cancelled", "cancelled_late"):
        return "cancelled"
    return "rescheduled" if fate == "rescheduled" else "open"
