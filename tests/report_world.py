"""A seeded, realistic support team for the report and digest tests: agents under two levels of
managers, cases over several weeks with contacts at various delays, promises kept early, on
time or late, missed, or rescheduled with the customer told, cases closed as one-offs or as
recurring problems.

The generator plans everything from a fixed random seed, then plays it through the domain's
own functions (open_case, log_contact, make_promise, keep_promise, reschedule_promise,
close_case) in time order, moving the test clock. It writes down what it did as it goes; the
`expected_*` functions compute the report's numbers from that record alone, never from the
database or bot/reports.py, so a test comparing the two can fail."""

from __future__ import annotations

import random
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot import cases, contacts, new_times, promises
from bot import team as people
from bot.clock import ManualClock
from storage.models import Case, Promise, Recurrence

LEAD = timedelta(minutes=15)
# Managers: UA1-UA3 report to UM1, UA4-UA5 to UM2, both managers to UDIR; UA6 has no manager.
MANAGERS = {
    "UA1": "UM1",
    "UA2": "UM1",
    "UA3": "UM1",
    "UA4": "UM2",
    "UA5": "UM2",
    "UM1": "UDIR",
    "UM2": "UDIR",
}
OWNERS = ["UA1", "UA2", "UA3", "UA4", "UA5", "UA6", "UM1", "UM2"]
# The same categories typed differently: case and spacing don't make a new one.
CATEGORIES = [
    "Late delivery",
    "late  delivery",
    "LATE DELIVERY",
    "Refund delay",
    "refund delay",
    "Login problem",
]
FATES = ["early", "on_time", "late", "missed", "rescheduled", "cancelled", "cancelled_late"]
# How they are counted: a promise called off only after its due time was missed.
OUTCOMES = ["early", "on_time", "late", "missed", "rescheduled", "cancelled"]


@dataclass
class PromiseRecord:
    owner: str
    due_at: datetime
    remind_at: datetime
    made: bool = False
    kept_at: datetime | None = None
    rescheduled_at: datetime | None = None
    cancelled_at: datetime | None = None
    db_id: int | None = None


@dataclass
class CaseRecord:
    team_id: str
    owner: str
    opened_at: datetime
    contacts: list[datetime] = field(default_factory=list)
    promises: list[PromiseRecord] = field(default_factory=list)
    closed_at: datetime | None = None
    recurrence: Recurrence | None = None
    category: str | None = None
    db_id: int | None = None


@dataclass
class World:
    cases: list[CaseRecord]
    end: datetime

    def promise_records(self) -> list[PromiseRecord]:
        return [p for c in self.cases for p in c.promises if p.made]


def _minutes(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(minutes=rng.randint(low, high))


def plan_and_seed(
    bot: Any,
    clock: ManualClock,
    *,
    seed: int,
    start: datetime,
    end: datetime,
    case_count: int,
    other_team_cases: int = 0,
) -> World:
    """Plan `case_count` cases opened between start and end (plus a few in workspace T2), and
    play every planned step that falls before `end`. The clock is left at `end`."""
    rng = random.Random(seed)
    events: list[tuple[datetime, int, str, CaseRecord, tuple[Any, ...]]] = []

    def add(at: datetime, kind: str, case: CaseRecord, *extra: Any) -> None:
        events.append((at, len(events), kind, case, extra))

    span = int((end - start).total_seconds() // 60)
    records = []
    for number in range(case_count + other_team_cases):
        team = "T1" if number < case_count else "T2"
        owner = rng.choice(OWNERS) if team == "T1" else "UB1"
        opened = start + timedelta(minutes=rng.randint(0, span))
        case = CaseRecord(team_id=team, owner=owner, opened_at=opened)
        records.append(case)
        add(opened, "open", case)
        if rng.random() < 0.85:
            delay = rng.choice([(1, 30), (30, 240), (240, 4320)])
            first = opened + _minutes(rng, *delay)
            add(first, "contact", case)
            for _ in range(rng.randint(0, 2)):
                add(first + _minutes(rng, 10, 2000), "contact", case)
        moment = opened + _minutes(rng, 5, 600)
        all_kept = True
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            promise = PromiseRecord(owner=owner, due_at=moment + _minutes(rng, 60, 4320), remind_at=moment)
            promise.remind_at = promise.due_at - LEAD
            add(moment, "promise", case, promise)
            fate = rng.choice(FATES)
            for _ in range(2):
                if fate != "rescheduled":
                    break
                # Agreed with the customer before it was due: a new time, a new promise.
                at = moment + _minutes(rng, 1, int((promise.due_at - moment).total_seconds() // 60) - 1)
                new_due = promise.due_at + _minutes(rng, 60, 2880)
                replacement = PromiseRecord(owner=owner, due_at=new_due, remind_at=new_due - LEAD)
                add(at, "reschedule", case, promise, replacement)
                promise, moment = replacement, at
                fate = rng.choice(FATES)
            if fate == "rescheduled":
                fate = "on_time"
            if fate == "missed":
                all_kept = False
                break
            if fate in ("cancelled", "cancelled_late"):
                # Called off with the customer told: before its due time it is cancelled, after
                # it (already missed) it stays a miss.
                if fate == "cancelled":
                    left = int((promise.due_at - moment).total_seconds() // 60) - 1
                    called_off = moment + _minutes(rng, 1, left)
                else:
                    called_off = promise.due_at + _minutes(rng, 1, 720)
                add(called_off, "cancel", case, promise)
                moment = called_off + _minutes(rng, 1, 600)
                continue
            if fate == "early":
                kept = moment + _minutes(rng, 1, int((promise.remind_at - moment).total_seconds() // 60) - 1)
            elif fate == "on_time":
                # Anywhere from the reminder to the due time, both ends included.
                kept = promise.remind_at + _minutes(rng, 0, 15)
            else:
                kept = promise.due_at + _minutes(rng, 1, 720)
            add(kept, "keep", case, promise)
            moment = kept + _minutes(rng, 1, 600)
        if all_kept and rng.random() < 0.75:
            recurring = rng.random() < 0.45
            category = rng.choice(CATEGORIES) if recurring else None
            add(moment + _minutes(rng, 30, 4320), "close", case, recurring, category)

    events.sort(key=lambda e: (e[0], e[1]))
    happened = [e for e in events if e[0] <= end]
    settings = bot.settings
    channel_of = {"T1": "C1", "T2": "C2"}
    for chunk_start in range(0, len(happened), 60):
        with bot.db.transaction() as session:
            if chunk_start == 0:
                for user, manager in MANAGERS.items():
                    people.set_manager(session, team_id="T1", user_id=user, manager_id=manager, now=start)
            for at, serial, kind, record, extra in happened[chunk_start : chunk_start + 60]:
                clock.set(at)
                if kind == "open":
                    opened_case, _ = cases.open_case(
                        session,
                        team_id=record.team_id,
                        channel_id=channel_of[record.team_id],
                        owner_id=record.owner,
                        customer=f"Customer {serial}",
                        summary=f"Problem {serial}",
                        now=at,
                    )
                    record.db_id = opened_case.id
                    continue
                case = session.get(Case, record.db_id)
                assert case is not None
                if kind == "contact":
                    contacts.log_contact(
                        session,
                        case=case,
                        channel_id=case.channel_id,
                        ts=f"{int(at.timestamp())}.{serial:06d}",
                        author_id=record.owner,
                        text="Spoke to the customer",
                        posted_at=at,
                        now=at,
                    )
                    record.contacts.append(at)
                elif kind == "promise":
                    (promise,) = extra
                    made, _ = promises.make_promise(
                        session,
                        case=case,
                        description="call back",
                        due_at=promise.due_at,
                        made_by=record.owner,
                        now=at,
                        policy=settings.policy,
                    )
                    promise.db_id, promise.made = made.id, True
                    record.promises.append(promise)
                elif kind == "reschedule":
                    old, new = extra
                    stored = session.get(Promise, old.db_id)
                    replacement, _ = new_times.reschedule_promise(
                        session,
                        case=case,
                        promise=stored,
                        new_due_at=new.due_at,
                        note="customer agreed a new time",
                        customer_told=True,
                        actor_id=record.owner,
                        now=at,
                        policy=settings.policy,
                    )
                    old.rescheduled_at = at
                    new.db_id, new.made = replacement.id, True
                    record.promises.append(new)
                elif kind == "cancel":
                    (promise,) = extra
                    promises.cancel_promise(
                        session,
                        case=case,
                        promise=session.get(Promise, promise.db_id),
                        reason="the customer no longer needs it",
                        customer_told=True,
                        actor_id=record.owner,
                        now=at,
                        policy=settings.policy,
                    )
                    promise.cancelled_at = at
                elif kind == "keep":
                    (promise,) = extra
                    promises.keep_promise(
                        session,
                        case=case,
                        actor_id=record.owner,
                        now=at,
                        policy=settings.policy,
                        promise_id=promise.db_id,
                    )
                    promise.kept_at = at
                elif kind == "close":
                    recurring, category = extra
                    cases.close_case(
                        session,
                        case=case,
                        actor_id=record.owner,
                        note="sorted",
                        now=at,
                        policy=settings.policy,
                        recurrence=Recurrence.RECURRING if recurring else Recurrence.SINGLE,
                        category=category,
                    )
                    record.closed_at = at
                    record.recurrence = Recurrence.RECURRING if recurring else Recurrence.SINGLE
                    record.category = category
    clock.set(end)
    return World(cases=records, end=end)


# ---- the report, computed from the record alone ------------------------------------------------


def _in(owner: str, agents: set[str] | None) -> bool:
    return agents is None or owner in agents


def fate_at(promise: PromiseRecord, now: datetime) -> str | None:
    if promise.rescheduled_at is not None and promise.rescheduled_at <= now:
        return "rescheduled"
    if promise.cancelled_at is not None and promise.cancelled_at <= now:
        return "cancelled" if promise.cancelled_at <= promise.due_at else "missed"
    if promise.kept_at is not None and promise.kept_at <= now:
        if promise.kept_at < promise.remind_at:
            return "early"
        return "on_time" if promise.kept_at <= promise.due_at else "late"
    return "missed" if promise.due_at < now else None


def expected_promises(
    world: World, team: str, agents: set[str] | None, since: datetime, until: datetime, now: datetime
) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {}
    for case in world.cases:
        for promise in case.promises:
            if case.team_id != team or not _in(promise.owner, agents) or not since <= promise.due_at <= until:
                continue
            fate = fate_at(promise, now)
            if fate is not None:
                counts.setdefault(promise.owner, Counter())[fate] += 1
    return counts


def expected_first_contact(
    world: World, team: str, agents: set[str] | None, since: datetime, until: datetime
) -> dict[str, tuple[list[float], int]]:
    """owner -> (delays in seconds of cases reached, cases without a contact)."""
    found: dict[str, tuple[list[float], int]] = {}
    for case in world.cases:
        if case.team_id != team or not _in(case.owner, agents) or not since <= case.opened_at <= until:
            continue
        delays, waiting = found.get(case.owner, ([], 0))
        if case.contacts:
            delays = delays + [(min(case.contacts) - case.opened_at).total_seconds()]
        else:
            waiting += 1
        found[case.owner] = (delays, waiting)
    return found


def expected_stale(
    world: World, team: str, agents: set[str] | None, now: datetime, age: timedelta
) -> list[CaseRecord]:
    stale = [
        c
        for c in world.cases
        if c.team_id == team
        and _in(c.owner, agents)
        and (c.closed_at is None or c.closed_at > now)
        and c.opened_at < now - age
    ]
    return sorted(stale, key=lambda c: (c.opened_at, c.db_id))


def expected_recurring(
    world: World, team: str, agents: set[str] | None, since: datetime, until: datetime
) -> list[tuple[str, int, list[int]]]:
    """(category as first written in the window, count, case ids by closing) most first."""
    groups: dict[str, list[CaseRecord]] = {}
    for case in sorted(world.cases, key=lambda c: (c.closed_at or until, c.db_id)):
        if (
            case.team_id == team
            and _in(case.owner, agents)
            and case.recurrence is Recurrence.RECURRING
            and case.closed_at is not None
            and since <= case.closed_at <= until
        ):
            assert case.category is not None
            groups.setdefault(" ".join(case.category.split()).lower(), []).append(case)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return [
        (" ".join(members[0].category.split()), len(members), [m.db_id for m in members])
        for _, members in ordered
    ]  # type: ignore[union-attr, misc]


def median_seconds(delays: list[float]) -> float | None:
    return statistics.median(delays) if delays else None


def rate(counts: Counter[str]) -> int | None:
    counted = counts["early"] + counts["on_time"] + counts["late"] + counts["missed"]
    return (counts["early"] + counts["on_time"]) * 100 // counted if counted else None


# ---- what the Slack view says, spelt out independently ------------------------------------------


def span(seconds: float) -> str:
    """Whole minutes as "2d 3h 5m" (zero parts left out), the way Slack messages show spans."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return " ".join(
        p
        for p in (f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes else "")
        if p
    )


def promises_phrase(counts: Counter[str]) -> str:
    rescheduled = f" · {counts['rescheduled']} rescheduled" if counts["rescheduled"] else ""
    rescheduled += f" · {counts['cancelled']} cancelled" if counts["cancelled"] else ""
    counted = counts["early"] + counts["on_time"] + counts["late"] + counts["missed"]
    if not counted:
        return f"no promises were due{rescheduled}"
    # Kept early ones are kept on time too (README → Glossary).
    on_time = counts["early"] + counts["on_time"]
    early = f", {counts['early']} of them early" if counts["early"] else ""
    return (
        f"{on_time} of {counted} kept on time ({rate(counts)}%){early}"
        f" · {counts['late']} kept late · {counts['missed']} missed{rescheduled}"
    )


def first_contact_phrase(delays: list[float], waiting: int) -> str:
    waiting_text = f"{waiting} without a contact yet" if waiting else ""
    if not delays:
        return waiting_text or "no cases opened"
    reached = (
        f"median {span(statistics.median(delays))} over {len(delays)} case{'s' if len(delays) != 1 else ''}"
    )
    return f"{reached} · {waiting_text}" if waiting_text else reached


def lines_of(body: dict[str, Any]) -> list[str]:
    text = "\n".join(b["text"]["text"] for b in body["blocks"] if b["type"] == "section")
    return text.split("\n")


def expected_view(
    world: World,
    team: str,
    agents: set[str] | None,
    since: datetime,
    until: datetime,
    now: datetime,
    stale_age: timedelta,
) -> dict[str, Any]:
    """The lines a report's Slack view must have, from the record alone."""
    counts = expected_promises(world, team, agents, since, until, now)
    contacts = expected_first_contact(world, team, agents, since, until)
    total = sum(counts.values(), start=Counter())
    all_delays = [d for delays, _ in contacts.values() for d in delays]
    all_waiting = sum(w for _, w in contacts.values())
    stale = expected_stale(world, team, agents, now, stale_age)
    return {
        "total": f"*Promises due in the window*: {promises_phrase(total)}",
        "agents": [f"• <@{a}>: {promises_phrase(counts[a])}" for a in sorted(counts) if +counts[a]]
        + [f"• <@{a}>: {first_contact_phrase(*contacts[a])}" for a in sorted(contacts)],
        "first_contact": "*Time to first contact* (cases opened in the window): "
        + first_contact_phrase(all_delays, all_waiting),
        "stale_header": f"*Open longer than {span(stale_age.total_seconds())}* ({len(stale)})",
        "stale": [
            f"CASE-{c.db_id} <@{c.owner}> {span((now - c.opened_at) // timedelta(hours=1) * 3600)}"
            for c in stale[:15]
        ],
        "stale_more": len(stale) - 15,
        "recurring": [
            f"• {category}: {count} case{'s' if count != 1 else ''} ({refs(ids)})"
            for category, count, ids in expected_recurring(world, team, agents, since, until)
        ],
    }


def refs(ids: list[int]) -> str:
    more = f" and {len(ids) - 8} more" if len(ids) > 8 else ""
    return ", ".join(f"CASE-{i}" for i in ids[:8]) + more


def check_view(body: dict[str, Any], expected: dict[str, Any]) -> None:
    lines = lines_of(body)
    assert expected["total"] in lines
    assert [line for line in lines if line.startswith("• <@")] == expected["agents"]
    assert expected["first_contact"] in lines
    assert expected["stale_header"] in lines
    shown = [
        " ".join(m.groups())
        for m in (re.match(r"• \*(CASE-\d+)\* · (<@\w+>) · open ([\dd hm]+) \(since", line) for line in lines)
        if m
    ]
    assert shown == expected["stale"]
    if expected["stale_more"] > 0:
        assert f"… and {expected['stale_more']} more" in lines
    recurring = lines[lines.index("*Recurring problems* (closed as recurring in the window)") + 1 :]
    assert [line for line in recurring if line.startswith("• ")] == expected["recurring"]
