"""The dashboard's team page numbers (bot/team_stats.build): a lead on the other side of the world
looks at twelve weeks of their team. Every number is computed here from what the test did (the
generator's record in tests/report_world.py, or the steps below), never from our SQL."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import cases, contacts, escalation, new_times, promises, team_stats
from bot import team as people
from bot.cases import CaseDetails
from bot.clock import ManualClock
from bot.outcomes import Tally
from storage.models import Case, CasePriority, ContactKind, Promise
from tests import report_world as world_of
from tests.conftest import START

END = START + timedelta(weeks=1, days=2, hours=3)
BEGIN = END - timedelta(weeks=5)
# UTC+14: its Monday starts on Sunday 10:00 UTC, so many promises fall in another week than in UTC.
FAR_EAST = ZoneInfo("Pacific/Kiritimati")
TEAM_OF_UM1 = frozenset({"UM1", "UA1", "UA2", "UA3"})


def monday_of(moment: datetime, tz: ZoneInfo) -> date:
    local = moment.astimezone(tz).date()
    return local - timedelta(days=local.weekday())


def tally_from(fates: Counter[str]) -> Tally:
    return Tally(
        on_time=fates["early"] + fates["on_time"],
        early=fates["early"],
        late=fates["late"],
        missed=fates["missed"],
        rescheduled=fates["rescheduled"],
        cancelled=fates["cancelled"],
    )


@pytest.fixture
def world(bot: Any, clock: ManualClock) -> world_of.World:
    clock.set(BEGIN)
    return world_of.plan_and_seed(
        bot, clock, seed=20261204, start=BEGIN, end=END, case_count=220, other_team_cases=6
    )


def expected_weeks(
    world: world_of.World, agents: frozenset[str] | None, tz: ZoneInfo
) -> dict[str, dict[date, Counter[str]]]:
    found: dict[str, dict[date, Counter[str]]] = {}
    for case in world.cases:
        for promise in case.promises:
            if case.team_id != "T1" or (agents is not None and promise.owner not in agents):
                continue
            fate = world_of.fate_at(promise, END)
            if fate is not None:
                weeks = found.setdefault(promise.owner, {})
                weeks.setdefault(monday_of(promise.due_at, tz), Counter())[fate] += 1
    return found


def test_weekly_outcomes_per_agent_follow_the_viewers_own_weeks(world, bot):
    moved = [
        p
        for p in world.promise_records()
        if monday_of(p.due_at, FAR_EAST) != monday_of(p.due_at, ZoneInfo("UTC"))
    ]
    assert len(moved) >= 10, (
        "the data must have promises whose week differs between UTC and the viewer's clock"
    )
    for agents in (None, TEAM_OF_UM1):
        with bot.db.read_only() as session:
            stats = team_stats.build(session, team_id="T1", agents=agents, now=END, tz=FAR_EAST)
        expected = expected_weeks(world, agents, FAR_EAST)
        this_monday = monday_of(END, FAR_EAST)
        assert stats.weeks == [this_monday - timedelta(weeks=11 - n) for n in range(12)]
        assert all(day.weekday() == 0 for day in stats.weeks)
        named = set(agents or ())
        assert [line.agent_id for line in stats.agents] == sorted(set(expected) | named)
        for line in stats.agents:
            weeks = expected.get(line.agent_id, {})
            assert line.weeks == [tally_from(weeks.get(monday, Counter())) for monday in stats.weeks], (
                line.agent_id
            )
            assert line.total == tally_from(sum(weeks.values(), Counter()))
        for index, monday in enumerate(stats.weeks):
            everyone = sum((weeks.get(monday, Counter()) for weeks in expected.values()), Counter())
            assert stats.team[index] == tally_from(everyone)
        assert stats.team_total.counted > 50


def test_an_agent_named_with_nothing_due_still_has_a_line(world, bot):
    with bot.db.read_only() as session:
        stats = team_stats.build(session, team_id="T1", agents=frozenset({"UNEW"}), now=END, tz=FAR_EAST)
    assert [(line.agent_id, line.total) for line in stats.agents] == [("UNEW", Tally())]
    assert stats.team == [Tally()] * 12
    assert stats.overdue.total == 0 and stats.escalations[-1].escalated == 0


def test_recurring_categories_by_week_biggest_first_the_rest_as_other(world, bot):
    bounds_start = datetime.combine(
        monday_of(END, FAR_EAST) - timedelta(weeks=11), datetime.min.time(), FAR_EAST
    )
    groups: dict[str, list[world_of.CaseRecord]] = {}
    for case in sorted(world.cases, key=lambda c: (c.closed_at or END, c.db_id)):
        if case.team_id == "T1" and case.recurrence is world_of.Recurrence.RECURRING and case.closed_at:
            assert case.closed_at >= bounds_start
            groups.setdefault(" ".join(case.category.split()).casefold(), []).append(case)
    ranked = sorted(groups, key=lambda key: (-len(groups[key]), key))
    assert len(ranked) == 3

    def per_week(members: list[world_of.CaseRecord], mondays: list[date]) -> list[int]:
        counted = Counter(monday_of(m.closed_at, FAR_EAST) for m in members)
        return [counted[monday] for monday in mondays]

    with bot.db.read_only() as session:
        stats = team_stats.build(session, team_id="T1", agents=None, now=END, tz=FAR_EAST, top_categories=2)
    expected = [
        (key, " ".join(groups[key][0].category.split()), per_week(groups[key], stats.weeks))
        for key in ranked[:2]
    ]
    expected.append((None, "other", per_week(groups[ranked[2]], stats.weeks)))
    got = [(line.key, " ".join(line.label.split()), line.weeks) for line in stats.categories]
    assert got == expected
    assert stats.categories[0].label == groups[ranked[0]][0].category


def test_time_to_first_contact_of_the_cases_opened_in_the_weeks(world, bot):
    with bot.db.read_only() as session:
        stats = team_stats.build(session, team_id="T1", agents=TEAM_OF_UM1, now=END, tz=FAR_EAST)
    expected = world_of.expected_first_contact(world, "T1", set(TEAM_OF_UM1), BEGIN, END)
    delays = sorted(d for found, _ in expected.values() for d in found)
    waiting = sum(w for _, w in expected.values())
    by_priority = {line.priority: line for line in stats.first_contact}
    assert [line.priority for line in stats.first_contact] == [
        CasePriority.URGENT,
        CasePriority.HIGH,
        CasePriority.NORMAL,
        CasePriority.LOW,
    ]
    normal = by_priority[CasePriority.NORMAL]
    assert (normal.reached, normal.waiting) == (len(delays), waiting)
    assert waiting > 0 and len(delays) > 20
    assert normal.median is not None and normal.p90 is not None
    assert abs(normal.median.total_seconds() - statistics.median(delays)) < 0.01
    # Nearest rank: the smallest delay with at least 90% of the cases reached within it.
    p90 = next(d for d in delays if sum(1 for other in delays if other <= d) * 10 >= len(delays) * 9)
    assert abs(normal.p90.total_seconds() - p90) < 0.01
    assert all(line.reached == line.waiting == 0 for line in stats.first_contact if line is not normal)


# ---- escalations, acknowledgements, overdue and due today: a small team played step by step ----

TOKYO = ZoneInfo("Asia/Tokyo")
# Monday 30 November 00:00 in Tokyo is Sunday 29 November 15:00 UTC.
TOKYO_MONDAY = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)


class Team:
    def __init__(self, bot: Any, clock: ManualClock):
        self.bot, self.clock = bot, clock

    def at(self, moment: datetime) -> None:
        self.clock.set(moment)
        self.bot.tick()

    def open(self, priority: CasePriority = CasePriority.NORMAL, owner: str = "UAGENT") -> int:
        with self.bot.db.transaction() as session:
            case, _ = cases.open_case(
                session,
                team_id="T1",
                channel_id="C1",
                owner_id=owner,
                customer="Acme",
                summary="parcel lost",
                now=self.clock.now(),
                details=CaseDetails(priority=priority),
            )
            return case.id

    def promise(self, case_id: int, due_at: datetime) -> int:
        with self.bot.db.transaction() as session:
            made, _ = promises.make_promise(
                session,
                case=session.get(Case, case_id),
                description=f"call back by {due_at:%a %H:%M}",
                due_at=due_at,
                made_by="UAGENT",
                now=self.clock.now(),
                policy=self.bot.settings.policy,
            )
            return made.id

    def acknowledge(self, promise_id: int) -> None:
        with self.bot.db.transaction() as session:
            promise = session.get(Promise, promise_id)
            escalation.acknowledge(
                session,
                case=promise.case,
                promise=promise,
                actor_id="UMGR",
                now=self.clock.now(),
                policy=self.bot.settings.policy,
            )

    def keep(self, promise_id: int) -> None:
        with self.bot.db.transaction() as session:
            promise = session.get(Promise, promise_id)
            promises.keep_promise(
                session,
                case=promise.case,
                actor_id="UAGENT",
                now=self.clock.now(),
                policy=self.bot.settings.policy,
                promise_id=promise_id,
            )

    def reschedule(self, promise_id: int, new_due_at: datetime, *, told: bool) -> int:
        with self.bot.db.transaction() as session:
            promise = session.get(Promise, promise_id)
            replacement, _ = new_times.reschedule_promise(
                session,
                case=promise.case,
                promise=promise,
                new_due_at=new_due_at,
                note="the customer agreed a new time" if told else "",
                customer_told=told,
                actor_id="UAGENT",
                now=self.clock.now(),
                policy=self.bot.settings.policy,
            )
            return replacement.id

    def cancel(self, promise_id: int) -> None:
        with self.bot.db.transaction() as session:
            promise = session.get(Promise, promise_id)
            promises.cancel_promise(
                session,
                case=promise.case,
                promise=promise,
                reason="the customer no longer needs it",
                customer_told=True,
                actor_id="UAGENT",
                now=self.clock.now(),
                policy=self.bot.settings.policy,
            )

    def contact(self, case_id: int, note: bool = False) -> None:
        with self.bot.db.transaction() as session:
            contacts.log_contact(
                session,
                case=session.get(Case, case_id),
                channel_id="C1",
                ts=f"{self.clock.now().timestamp():.6f}",
                author_id="UAGENT",
                text="note: checking the depot" if note else "Spoke to the customer",
                posted_at=self.clock.now(),
                now=self.clock.now(),
                kind=ContactKind.NOTE if note else ContactKind.CONTACT,
                react=False,
            )

    def stats(self, agents: frozenset[str] | None = None) -> team_stats.TeamStats:
        with self.bot.db.read_only() as session:
            return team_stats.build(session, team_id="T1", agents=agents, now=self.clock.now(), tz=TOKYO)


@pytest.fixture
def played(bot: Any, clock: ManualClock) -> Team:
    with bot.db.transaction() as session:
        people.set_manager(session, team_id="T1", user_id="UAGENT", manager_id="UMGR", now=clock.now())
    return Team(bot, clock)


def test_escalations_per_week_how_many_acknowledged_and_how_fast(played):
    team, hour = played, timedelta(hours=1)
    team.at(datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    urgent, normal, high = team.open(CasePriority.URGENT), team.open(), team.open(CasePriority.HIGH)
    # Sunday 23:45 in Tokyo: escalates in the week of 23 November there (its second level, to the
    # channel, goes out after midnight but the promise had escalated already).
    late_sunday = team.promise(urgent, TOKYO_MONDAY - timedelta(minutes=15))
    # 00:30 on Monday in Tokyo, still Sunday in UTC.
    after_midnight = team.promise(normal, TOKYO_MONDAY + timedelta(minutes=30))
    monday = team.promise(high, TOKYO_MONDAY + 11 * hour)
    kept_unanswered = team.promise(normal, TOKYO_MONDAY + 36 * hour)
    kept_in_time = team.promise(high, TOKYO_MONDAY + 39 * hour)
    still_open = team.promise(urgent, TOKYO_MONDAY + 58 * hour)
    due_tonight = team.promise(normal, TOKYO_MONDAY + 71 * hour)  # Wednesday 23:00 in Tokyo
    due_after_midnight = team.promise(high, TOKYO_MONDAY + 73 * hour)  # Thursday 01:00 there
    team.bot.tick()

    team.at(datetime(2026, 11, 27, 12, 5, tzinfo=UTC))
    team.contact(normal, note=True)  # an internal note is no contact
    team.at(datetime(2026, 11, 27, 12, 20, tzinfo=UTC))
    team.contact(urgent)
    team.at(datetime(2026, 11, 27, 14, 0, tzinfo=UTC))
    team.contact(normal)

    team.at(TOKYO_MONDAY - timedelta(minutes=15))  # level 1 of late_sunday goes out
    team.at(TOKYO_MONDAY + timedelta(minutes=15))  # its level 2, to the channel
    team.at(TOKYO_MONDAY + timedelta(minutes=30))  # after_midnight escalates
    team.at(TOKYO_MONDAY + timedelta(minutes=40))
    team.acknowledge(after_midnight)  # 10 minutes after
    team.at(TOKYO_MONDAY + timedelta(minutes=50))
    team.keep(late_sunday)  # kept late, never acknowledged
    team.at(TOKYO_MONDAY + 11 * hour)
    team.at(TOKYO_MONDAY + 11 * hour + timedelta(minutes=30))
    team.acknowledge(monday)  # 30 minutes after
    team.at(TOKYO_MONDAY + 12 * hour)
    team.keep(monday)
    team.at(TOKYO_MONDAY + 36 * hour)
    team.at(TOKYO_MONDAY + 38 * hour)
    team.keep(kept_unanswered)
    team.at(TOKYO_MONDAY + 38 * hour + timedelta(minutes=30))
    team.keep(kept_in_time)
    team.at(TOKYO_MONDAY + 58 * hour)
    team.at(TOKYO_MONDAY + 67 * hour)  # Wednesday 19:00 in Tokyo

    stats = team.stats()
    by_week = {week.week: week for week in stats.escalations}
    assert [week.week for week in stats.escalations] == stats.weeks
    week_before, this_week = date(2026, 11, 23), date(2026, 11, 30)
    assert stats.weeks[-2:] == [week_before, this_week]
    assert (by_week[week_before].escalated, by_week[week_before].acknowledged) == (1, 0)
    assert by_week[week_before].median_to_acknowledge is None
    # after_midnight, monday, kept_unanswered and still_open; two acknowledged, after 10 and 30 minutes.
    assert (by_week[this_week].escalated, by_week[this_week].acknowledged) == (4, 2)
    assert by_week[this_week].median_to_acknowledge == timedelta(minutes=20)
    assert all(week.escalated == 0 for week in stats.escalations[:-2])

    # Overdue: open and past due, acknowledged or not; due today: until midnight in Tokyo.
    assert [p.promise_id for p in stats.overdue.listed] == [after_midnight, still_open]
    assert stats.overdue.total == 2
    overdue = stats.overdue.listed[0]
    assert (overdue.case_id, overdue.owner_id, overdue.due_at) == (
        normal,
        "UAGENT",
        TOKYO_MONDAY + timedelta(minutes=30),
    )
    assert overdue.description == "call back by Sun 15:30"
    assert [p.promise_id for p in stats.due_today.listed] == [due_tonight] and stats.due_today.total == 1
    assert due_after_midnight not in [p.promise_id for p in stats.due_today.listed]
    with team.bot.db.read_only() as session:
        capped = team_stats.build(
            session, team_id="T1", agents=None, now=team.clock.now(), tz=TOKYO, listed=1
        )
    assert [p.promise_id for p in capped.overdue.listed] == [after_midnight] and capped.overdue.total == 2

    first = {line.priority: line for line in stats.first_contact}
    assert (first[CasePriority.URGENT].median, first[CasePriority.URGENT].reached) == (
        timedelta(minutes=20),
        1,
    )
    assert (first[CasePriority.NORMAL].median, first[CasePriority.NORMAL].p90) == (
        timedelta(hours=2),
        timedelta(hours=2),
    )
    assert (first[CasePriority.HIGH].reached, first[CasePriority.HIGH].waiting) == (0, 1)
    assert first[CasePriority.HIGH].median is None

    # Someone outside the team sees none of it.
    nobody = team.stats(frozenset({"UOTHER"}))
    assert sum(week.escalated for week in nobody.escalations) == 0
    assert nobody.overdue.total == nobody.due_today.total == 0


def test_a_promise_moved_or_called_off_only_after_its_due_time_is_a_miss(played):
    team = played
    team.at(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    case_id = team.open()
    moved_late = team.promise(case_id, datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    called_off_late = team.promise(case_id, datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    called_off = team.promise(case_id, datetime(2026, 11, 26, 15, 0, tzinfo=UTC))
    team.at(datetime(2026, 11, 24, 13, 0, tzinfo=UTC))
    replacement = team.reschedule(moved_late, datetime(2026, 11, 25, 12, 0, tzinfo=UTC), told=True)
    team.at(datetime(2026, 11, 25, 11, 50, tzinfo=UTC))
    team.keep(replacement)
    team.at(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    team.cancel(called_off)
    team.at(datetime(2026, 11, 26, 13, 0, tzinfo=UTC))
    team.cancel(called_off_late)
    team.at(datetime(2026, 11, 28, 0, 0, tzinfo=UTC))

    stats = team.stats()
    # The replacement was kept on time (after its reminder, so not early); the one called off
    # before its due time is cancelled, apart from the rate.
    expected = Tally(on_time=1, missed=2, cancelled=1)
    assert stats.weeks[-1] == date(2026, 11, 23)
    assert stats.team[-1] == expected and stats.team_total == expected
    assert [(line.agent_id, line.total) for line in stats.agents] == [("UAGENT", expected)]
