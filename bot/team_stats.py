"""The numbers of the dashboard's team page (issue 16): how a team kept its promises week by week,
what is overdue or due today, how escalations were answered, which problems keep coming back and
how fast customers were first reached. No Slack, no SQL here (storage/team_stats.py).

Whose: `agents` as bot/reports.audience() gives them (None: the whole workspace). When: the
last `weeks` weeks on the viewer's own clock, each from Monday 00:00 local, the last one the
current week (so it runs until next Monday, partly in the future).

Definitions:
- Promises: each counted in the week its due time falls in, by its owner, with
  bot/outcomes.py's outcome() as of `now` and summed into its Tally, exactly as `/case report`
  counts promises due in its window. Promises due later this week count only once they have
  an outcome (kept already, or rescheduled or cancelled).
- Overdue: open promises due before `now`, however long ago. Due today: open promises due from
  `now` to the end of the viewer's day. Each listed up to MAX_LISTED, earliest due first, with
  the total.
- Escalations: a promise escalated in the week its first escalation message went out (an
  outbox row of kind ESCALATION marked sent: a person or a channel was actually told; a level
  planned but cancelled because the promise was kept on time is no escalation, and the thread
  notes, ESCALATION_NOTE, only follow an escalation). It counts as acknowledged when someone
  above the owner acknowledged it (Promise.acknowledged_at, set by the Acknowledge button, a
  take-over or a hand-over), as of now; the time to acknowledge runs from that first message to
  the acknowledgement, since the first message is when someone could first have answered. A
  promise kept or rescheduled after escalating without anyone acknowledging counts as escalated,
  not acknowledged: nobody above the owner answered. The week is that of the escalation, not
  of the acknowledgement, so a week's numbers can still grow while its acknowledgements arrive.
- Recurring categories: cases closed as recurring, in the week they were closed, grouped by
  category as bot/cases.category_key compares them; the TOP_CATEGORIES with most cases over
  the weeks (ties by key), the rest summed as one "other" line. Labelled as first written in
  the window, as `/case report` does.
- Time to first contact: cases opened since the first week began, by priority (most urgent
  first); from opening to the first contact (an internal note is not one), as `/case report`
  measures it. Median and 90th percentile (nearest rank: 90% of reached cases were reached
  within it) over the cases reached; the others are counted as waiting."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.outcomes import Outcome, Tally, outcome, tally_of
from storage import team_stats as stored
from storage.models import CasePriority

WEEKS = 12
# How many overdue and due-today promises are listed; the rest are counted.
MAX_LISTED = 50
TOP_CATEGORIES = 8
# Most urgent first: the table is read from the top.
PRIORITIES = (CasePriority.URGENT, CasePriority.HIGH, CasePriority.NORMAL, CasePriority.LOW)


@dataclass(frozen=True)
class AgentWeeks:
    agent_id: str
    # One per week, oldest first, as TeamStats.weeks.
    weeks: list[Tally]
    total: Tally


@dataclass(frozen=True)
class OpenPromise:
    promise_id: int
    case_id: int
    owner_id: str
    description: str
    due_at: datetime


@dataclass(frozen=True)
class OpenPromises:
    # The first MAX_LISTED, earliest due first; `total` counts them all.
    listed: list[OpenPromise]
    total: int


@dataclass(frozen=True)
class EscalationWeek:
    week: date
    escalated: int
    acknowledged: int
    # From the first escalation message to the acknowledgement, over those acknowledged.
    median_to_acknowledge: timedelta | None


@dataclass(frozen=True)
class CategoryWeeks:
    # None for the line summing every category not among the top ones ("other").
    key: str | None
    label: str
    weeks: list[int]

    @property
    def total(self) -> int:
        return sum(self.weeks)


@dataclass(frozen=True)
class PriorityFirstContact:
    priority: CasePriority
    median: timedelta | None
    p90: timedelta | None
    reached: int
    waiting: int


@dataclass(frozen=True)
class TeamStats:
    team_id: str
    agents_in_view: frozenset[str] | None
    now: datetime
    tz: ZoneInfo
    # Mondays on the viewer's clock, oldest first; every per-week list follows them.
    weeks: list[date]
    team: list[Tally]
    agents: list[AgentWeeks]
    overdue: OpenPromises
    due_today: OpenPromises
    escalations: list[EscalationWeek]
    categories: list[CategoryWeeks]
    first_contact: list[PriorityFirstContact]

    @property
    def team_total(self) -> Tally:
        return sum(self.team, Tally())


def build(
    session: Session,
    *,
    team_id: str,
    agents: frozenset[str] | None,
    now: datetime,
    tz: ZoneInfo,
    weeks: int = WEEKS,
    listed: int = MAX_LISTED,
    top_categories: int = TOP_CATEGORIES,
) -> TeamStats:
    """The team page's numbers for these agents (None: everyone) over the last `weeks` weeks on
    the viewer's clock `tz`, as of `now`, read in one transaction."""
    reads = _Reads(team_id, agents, now, tz, weeks, listed, top_categories)
    return reads.stats({name: read(session) for name, read in reads.parts().items()})


def build_at_once(
    reading: Callable[[], AbstractContextManager[Session]],
    *,
    team_id: str,
    agents: frozenset[str] | None,
    now: datetime,
    tz: ZoneInfo,
    weeks: int = WEEKS,
    listed: int = MAX_LISTED,
    top_categories: int = TOP_CATEGORIES,
) -> TeamStats:
    """build(), its reads side by side, each in a transaction of its own from `reading` (a
    read-only one that takes no lock): the page waits for the longest read rather than for all
    of them in turn. Each number is consistent in itself; two of them may be a moment apart."""
    reads = _Reads(team_id, agents, now, tz, weeks, listed, top_categories)

    def run(read: Callable[[Session], Any]) -> Any:
        with reading() as session:
            return read(session)

    parts = reads.parts()
    with ThreadPoolExecutor(max_workers=len(parts), thread_name_prefix="team-stats") as pool:
        futures = {name: pool.submit(run, read) for name, read in parts.items()}
        return reads.stats({name: future.result() for name, future in futures.items()})


@dataclass(frozen=True)
class _Reads:
    """The reads build() makes, each on a session of its own choosing, and what it makes of them."""

    team_id: str
    agents: frozenset[str] | None
    now: datetime
    tz: ZoneInfo
    weeks: int
    listed: int
    top_categories: int

    @property
    def mondays(self) -> list[date]:
        return week_starts(self.now, self.tz, self.weeks)

    @property
    def bounds(self) -> list[datetime]:
        mondays = self.mondays
        return [local_midnight(day, self.tz) for day in [*mondays, mondays[-1] + timedelta(weeks=1)]]

    def parts(self) -> dict[str, Callable[[Session], Any]]:
        team_id, agents, now, bounds = self.team_id, self.agents, self.now, self.bounds
        end_of_day = local_midnight(now.astimezone(self.tz).date() + timedelta(days=1), self.tz)
        return {
            "tallies": lambda s: _tallies(s, team_id, agents, bounds, now),
            "overdue": lambda s: _open(s, team_id, agents, None, now, self.listed),
            "due_today": lambda s: _open(s, team_id, agents, now, end_of_day, self.listed),
            "escalations": lambda s: _escalations(s, team_id, agents, bounds, self.mondays),
            "categories": lambda s: _categories(s, team_id, agents, bounds, self.top_categories),
            "first_contact": lambda s: _first_contact(s, team_id, agents, bounds[0], bounds[-1]),
        }

    def stats(self, read: dict[str, Any]) -> TeamStats:
        per_agent = read["tallies"]
        everyone = sorted(set(per_agent) | set(self.agents or ()))
        empty = [Tally()] * self.weeks
        agent_lines = [
            AgentWeeks(agent, per_agent.get(agent, empty), sum(per_agent.get(agent, empty), Tally()))
            for agent in everyone
        ]
        team = [sum((line.weeks[week] for line in agent_lines), Tally()) for week in range(self.weeks)]
        return TeamStats(
            team_id=self.team_id,
            agents_in_view=self.agents,
            now=self.now,
            tz=self.tz,
            weeks=self.mondays,
            team=team,
            agents=agent_lines,
            overdue=read["overdue"],
            due_today=read["due_today"],
            escalations=read["escalations"],
            categories=read["categories"],
            first_contact=read["first_contact"],
        )


def week_starts(now: datetime, tz: ZoneInfo, weeks: int) -> list[date]:
    """The Mondays of the last `weeks` weeks on the clock `tz`, the current week last."""
    today = now.astimezone(tz).date()
    this_monday = today - timedelta(days=today.weekday())
    return [this_monday - timedelta(weeks=weeks - 1 - index) for index in range(weeks)]


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """00:00 of `day` on the clock `tz`, in UTC. Where a DST change skips midnight, zoneinfo
    reads the missing time with the offset before the change: the day starts at the change."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _tallies(
    session: Session, team_id: str, agents: frozenset[str] | None, bounds: list[datetime], now: datetime
) -> dict[str, list[Tally]]:
    counts: dict[str, list[dict[Outcome, int]]] = {}
    for facts in stored.outcome_facts(session, team_id, agents, bounds, now):
        result = outcome_of(facts)
        if result is None:
            continue
        if facts.owner_id not in counts:
            counts[facts.owner_id] = [dict.fromkeys(Outcome, 0) for _ in bounds[1:]]
        counts[facts.owner_id][facts.week][result] += facts.count
    return {owner: [tally_of(week) for week in weeks] for owner, weeks in counts.items()}


# outcome() compares a promise's times with each other and with now; storage answers those
# comparisons instead of sending the times. Times that give the same answers rebuild them.
_DUE = datetime(2000, 1, 3, tzinfo=UTC)
_TICK = timedelta(seconds=1)


def outcome_of(facts: stored.OutcomeFacts) -> Outcome | None:
    """outcome() of any promise with these answers: times are made up that answer every
    comparison outcome() makes the same way, and outcome() itself decides."""

    def around(later: bool | None, base: datetime) -> datetime | None:
        return None if later is None else base + (_TICK if later else -_TICK)

    kept_at = around(None if facts.kept_by_due is None else not facts.kept_by_due, _DUE)
    remind_at = around(facts.kept_before_remind, kept_at) if kept_at is not None else None
    return outcome(
        facts.state,
        _DUE,
        kept_at,
        _DUE + _TICK if facts.past_due else _DUE,
        remind_at,
        around(facts.rescheduled_late, _DUE),
        facts.customer_told,
        around(facts.cancelled_late, _DUE),
    )


def _open(
    session: Session,
    team_id: str,
    agents: frozenset[str] | None,
    since: datetime | None,
    until: datetime,
    listed: int,
) -> OpenPromises:
    total, rows = stored.open_promises_due(session, team_id, agents, since, until, listed)
    return OpenPromises([OpenPromise(*row) for row in rows], total)


def _escalations(
    session: Session, team_id: str, agents: frozenset[str] | None, bounds: list[datetime], mondays: list[date]
) -> list[EscalationWeek]:
    escalated = [0] * len(mondays)
    waits: list[list[float]] = [[] for _ in mondays]
    for week, wait in stored.first_escalations(session, team_id, agents, bounds):
        escalated[week] += 1
        if wait is not None:
            # Acknowledged in the moment its message was being sent: not before it.
            waits[week].append(max(0.0, wait))
    return [
        EscalationWeek(
            week=monday,
            escalated=escalated[index],
            acknowledged=len(waits[index]),
            median_to_acknowledge=timedelta(seconds=statistics.median(waits[index]))
            if waits[index]
            else None,
        )
        for index, monday in enumerate(mondays)
    ]


def _categories(
    session: Session, team_id: str, agents: frozenset[str] | None, bounds: list[datetime], top: int
) -> list[CategoryWeeks]:
    counts, labels = stored.recurring_by_week(session, team_id, agents, bounds)
    per_key: dict[str, list[int]] = {}
    for key, week, count in counts:
        per_key.setdefault(key, [0] * (len(bounds) - 1))[week] += count
    ranked = sorted(per_key, key=lambda key: (-sum(per_key[key]), key))
    lines = [CategoryWeeks(key, labels[key], per_key[key]) for key in ranked[:top]]
    rest = ranked[top:]
    if rest:
        lines.append(
            CategoryWeeks(None, "other", [sum(w) for w in zip(*(per_key[k] for k in rest), strict=True)])
        )
    return lines


def _first_contact(
    session: Session, team_id: str, agents: frozenset[str] | None, since: datetime, until: datetime
) -> list[PriorityFirstContact]:
    found = stored.first_contact_delays(session, team_id, agents, since, until)
    # A contact logged with a time before the case was opened: reached at once.
    delays = {priority: [max(0.0, d) for d in found[priority] if d is not None] for priority in PRIORITIES}
    waiting = {priority: sum(1 for d in found[priority] if d is None) for priority in PRIORITIES}
    return [
        PriorityFirstContact(
            priority=priority,
            median=timedelta(seconds=statistics.median(delays[priority])) if delays[priority] else None,
            p90=timedelta(seconds=nearest_rank(delays[priority], 90)) if delays[priority] else None,
            reached=len(delays[priority]),
            waiting=waiting[priority],
        )
        for priority in PRIORITIES
    ]


def nearest_rank(values: Sequence[float], percent: int) -> float:
    """The smallest value with at least `percent`% of the values at or below it."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * percent // 100))
    return ordered[rank - 1]
