"""Reminders for the punctuality figures: agents with cases and promises seeded through the domain
API, their plan moved in time so the reminders fall due when the run wants them, and what the
Slack stand-in saw of them afterwards."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot import cases, promises, team, workhours
from bot.policy import Admins, Policy
from bot.retention import Retention
from storage.db import Database
from storage.models import Notification, NotificationKind, NotificationState, Promise

TEAM = "T1"
ZONES = ("America/New_York", "Europe/Berlin", "Asia/Kolkata", "America/Los_Angeles", "Australia/Sydney")

# Reminded 15 minutes ahead; escalated an hour after due, long after the run.
SEED_POLICY = Policy(
    reminder_lead=timedelta(minutes=15),
    escalation_grace=timedelta(hours=1),
    escalation_repeat=timedelta(minutes=30),
    escalation_channel=None,
    admins=Admins(),
    working_hours=workhours.parse("mon-sun 00:00-24:00"),
    digest_schedule=None,
    stale_case_age=timedelta(days=7),
    retention=Retention(),
)


@dataclass(frozen=True)
class Scale:
    promises: int
    owners: int
    cases_per_owner: int
    channels: int
    managers: int
    window: float  # seconds one round's reminders are spread over
    lead: float  # seconds from the bot being up to the first reminder
    rounds: int = 1  # groups of `promises` reminders, each due `gap` seconds after the last
    gap: float = 0.0

    @property
    def owner_ids(self) -> list[str]:
        return [f"UOWNER{n:03d}" for n in range(self.owners)]

    @property
    def manager_ids(self) -> list[str]:
        return [f"UMGR{n:02d}" for n in range(self.managers)]


def seed(db: Database, scale: Scale, rng: random.Random) -> int:
    """Agents with cases in a few channels and promises whose reminders fall due within the
    window (each round's in its own window, `gap` apart), planned an hour ahead (`move_to`
    brings them to the run). The case cards and the promise notes that came with them count as
    already posted: only reminders are measured. Each agent's reminders are spread over their
    cases, so one agent has several reminders due in the same window."""
    now = datetime.now(UTC)
    start = now + timedelta(hours=1)
    owners, managers = scale.owner_ids, scale.manager_ids
    total = scale.promises * scale.rounds
    per_case = -(-total // (scale.owners * scale.cases_per_owner))
    made = 0
    with db.transaction() as session:
        for number, owner in enumerate(owners):
            team.set_manager(
                session, team_id=TEAM, user_id=owner, manager_id=managers[number % len(managers)], now=now
            )
        for case_number in range(scale.cases_per_owner):
            for number, owner in enumerate(owners):
                case, _ = cases.open_case(
                    session,
                    team_id=TEAM,
                    channel_id=f"C{(number + case_number) % scale.channels + 1}",
                    owner_id=owner,
                    customer=f"Customer {number}-{case_number}",
                    summary="parcel not delivered",
                    now=now,
                )
                case.card_ts = f"{now.timestamp():.0f}.{made:06d}"
                for _ in range(per_case):
                    if made == total:
                        break
                    offset = (made // scale.promises) * scale.gap + rng.uniform(0, scale.window)
                    remind_at = start + timedelta(seconds=offset)
                    promises.make_promise(
                        session,
                        case=case,
                        description=f"call back about parcel {made}",
                        due_at=remind_at + SEED_POLICY.reminder_lead,
                        made_by=owner,
                        now=now,
                        policy=SEED_POLICY,
                    )
                    made += 1
    with db.transaction() as session:
        session.execute(
            update(Notification)
            .where(Notification.kind.in_(_ALREADY_POSTED), Notification.state == NotificationState.PENDING)
            .values(state=NotificationState.SENT, sent_at=now)
        )
    return made


_ALREADY_POSTED = (NotificationKind.CASE_CARD, NotificationKind.CARD_UPDATE, NotificationKind.PROMISE_NOTE)


def move_to(db: Database, first: float) -> dict[int, tuple[float, str]]:
    """Move the whole plan in time so the first reminder falls due at `first` (epoch seconds):
    promises and their outbox rows by the same amount, so the plan stays the domain's own.
    Returns each reminder's outbox id -> (run_at, recipient)."""
    with db.transaction() as session:
        earliest = session.execute(
            select(Notification.run_at)
            .where(Notification.kind == NotificationKind.REMINDER)
            .order_by(Notification.run_at)
            .limit(1)
        ).scalar_one()
        shift = datetime.fromtimestamp(first, UTC) - earliest.replace(tzinfo=UTC)
        for promise in session.execute(select(Promise)).scalars():
            promise.due_at += shift
            promise.remind_at += shift
            promise.escalate_at += shift
        pending = select(Notification).where(Notification.state == NotificationState.PENDING)
        for row in session.execute(pending).scalars():
            row.run_at += shift
    with db.transaction() as session:
        rows = session.execute(
            select(Notification.id, Notification.run_at, Notification.recipient).where(
                Notification.kind == NotificationKind.REMINDER
            )
        ).all()
    return {row.id: (row.run_at.replace(tzinfo=UTC).timestamp(), row.recipient) for row in rows}


@dataclass(frozen=True)
class Seen:
    """What the stand-in saw of the planned reminders."""

    lateness: dict[int, float]  # id -> first arrival - run_at
    twice: int
    lost: int
    out_of_order: int  # a person's reminders that arrived before one due earlier
    last_arrival: float


def seen(posts: list, planned: dict[int, tuple[float, str]]) -> Seen:  # type: ignore[type-arg]
    arrivals: dict[int, list[float]] = {}
    for call in posts:
        key = notification_id(call)
        if call.status == 200 and call.error is None and key in planned:
            arrivals.setdefault(key, []).append(call.at)
    first = {key: min(times) for key, times in arrivals.items()}
    by_person: dict[str, list[int]] = {}
    for key in sorted(first, key=lambda k: first[k]):
        by_person.setdefault(planned[key][1], []).append(key)
    out_of_order = sum(
        1
        for keys in by_person.values()
        for earlier, later in zip(keys, keys[1:], strict=False)
        if (planned[later][0], later) < (planned[earlier][0], earlier)
    )
    return Seen(
        lateness={key: at - planned[key][0] for key, at in first.items()},
        twice=sum(1 for times in arrivals.values() if len(times) > 1),
        lost=len(planned) - len(arrivals),
        out_of_order=out_of_order,
        last_arrival=max(first.values()) if first else 0.0,
    )


def reminders_posted(slack) -> int:  # type: ignore[no-untyped-def]
    return slack.call_count("chat.postMessage", status=200)


def notification_id(call) -> int | None:  # type: ignore[no-untyped-def]
    metadata = call.params.get("metadata") or {}
    return (metadata.get("event_payload") or {}).get("notification_id")


def states(db: Database) -> Counter:
    with db.transaction() as session:
        rows = session.execute(
            select(Notification.state).where(Notification.kind == NotificationKind.REMINDER)
        ).scalars()
        return Counter(state.value for state in rows)
