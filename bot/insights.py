"""What the App Home shows, as domain facts: who someone's team is, which of their promises are
due today, and how well promises were kept. No Slack here; the definitions are pure functions
over plain values so they can be read and tested on their own.

Definitions (README → App Home):
- A promise *counts* in a window when its due_at falls in [now - window, now].
- How it ended, and the on-time rate: bot/outcomes.py (README → Glossary), the one definition
  every view uses. A promise given a new time only after it was due (a manager's extension
  from an escalation) was missed first, and counts as missed."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot import outcomes
from bot.authz import MAX_CHAIN
from bot.clock import zone
from bot.outcomes import Outcome, Tally, outcome
from storage import insights as stored
from storage.models import Case, Promise

WINDOWS = (("Last 7 days", timedelta(days=7)), ("Last 30 days", timedelta(days=30)))

# How many rows of each list the home shows; the rest are counted and said to be there.
MAX_CASES_SHOWN = 40
MAX_PROMISES_SHOWN = 25
MAX_TEAM_OVERDUE_SHOWN = 25


# (state, due_at, kept_at[, remind_at[, rescheduled_at, customer_told[, cancelled_at]]]): with the
# reminder time, promises kept before it count as kept early; with the reschedule's time and
# whether the customer was told, a late or untold reschedule counts as missed; with the
# cancellation's time, a promise called off after its due time counts as missed.
PromiseFacts = tuple[Any, ...]


def tally(promises: Iterable[PromiseFacts], now: datetime, window: timedelta) -> Tally:
    """Count the promises whose due_at falls in [now - window, now]."""
    counts = dict.fromkeys(Outcome, 0)
    since = now - window
    for facts in promises:
        state, due_at, kept_at = facts[0], facts[1], facts[2]
        remind_at = facts[3] if len(facts) > 3 else None
        rescheduled_at, customer_told = (facts[4], facts[5]) if len(facts) > 5 else (None, None)
        cancelled_at = facts[6] if len(facts) > 6 else None
        if not since <= due_at <= now:
            continue
        result = outcome(state, due_at, kept_at, now, remind_at, rescheduled_at, customer_told, cancelled_at)
        if result is not None:
            counts[result] += 1
    return outcomes.tally_of(counts)


def describe(label: str, counts: Tally) -> str:
    """One line, e.g. "Last 7 days: 8 of 10 kept on time (80%), 3 of them early · 1 kept late ·
    1 missed · 2 rescheduled · 1 cancelled" (bot/outcomes.py has the words)."""
    return f"{label}: {outcomes.summary(counts)}"


def team_of(
    manager_id: str,
    direct_reports: Callable[[Collection[str]], Iterable[str]],
    max_depth: int = MAX_CHAIN,
) -> set[str]:
    """Everyone below the manager: direct reports, theirs, and so on, up to max_depth levels
    (the same depth authz walks up a chain, so "my team" and "who may change my cases" agree).
    A loop in the links (a → b → a) ends the walk instead of going round: nobody is visited
    twice and the manager is never their own report. One lookup per level, not per person."""
    team: set[str] = set()
    frontier: set[str] = {manager_id}
    for _ in range(max_depth):
        found = set(direct_reports(frontier)) - team - {manager_id}
        if not found:
            break
        team |= found
        frontier = found
    return team


def end_of_local_day(now: datetime, tz_name: str) -> datetime:
    """The next midnight on the person's own wall clock, in UTC. Computed from the local date
    (not now + 24h) so a DST change that day still ends the day at midnight."""
    local_zone = zone(tz_name)
    tomorrow = now.astimezone(local_zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=local_zone).astimezone(UTC)


# ---- what one person's home shows, read in one transaction ---------------------------------


@dataclass(frozen=True)
class CaseWithNext:
    case: Case
    next_promise: Promise | None


@dataclass(frozen=True)
class DuePromise:
    promise: Promise
    case: Case


@dataclass(frozen=True)
class TeamView:
    members: frozenset[str]
    overdue: list[DuePromise]
    overdue_total: int
    # (label, tally) for each of WINDOWS.
    kept: list[tuple[str, Tally]]


@dataclass(frozen=True)
class HomeSnapshot:
    user_id: str
    now: datetime
    cases: list[CaseWithNext]
    cases_total: int
    # Open promises due before the end of the person's day, overdue first (oldest due first).
    due: list[DuePromise]
    due_total: int
    # None: the person manages nobody.
    team: TeamView | None

    @property
    def empty(self) -> bool:
        return not self.cases_total and not self.due_total and self.team is None


def home_snapshot(session: Session, team_id: str, user_id: str, now: datetime, tz_name: str) -> HomeSnapshot:
    cases_total, cases = stored.open_cases_with_next_promise(session, team_id, user_id, MAX_CASES_SHOWN)
    due_total, due = stored.open_promises_due_before(
        session, team_id, [user_id], end_of_local_day(now, tz_name), MAX_PROMISES_SHOWN
    )
    members = team_of(user_id, lambda managers: stored.direct_reports(session, team_id, managers))
    team = None
    if members:
        overdue_total, overdue = stored.open_promises_due_before(
            session, team_id, sorted(members), now, MAX_TEAM_OVERDUE_SHOWN
        )
        longest = max(window for _, window in WINDOWS)
        outcomes = stored.promise_outcomes(session, team_id, sorted(members), now - longest, now)
        team = TeamView(
            members=frozenset(members),
            overdue=[DuePromise(p, c) for p, c in overdue],
            overdue_total=overdue_total,
            kept=[(label, tally(outcomes, now, window)) for label, window in WINDOWS],
        )
    return HomeSnapshot(
        user_id=user_id,
        now=now,
        cases=[CaseWithNext(c, p) for c, p in cases],
        cases_total=cases_total,
        due=[DuePromise(p, c) for p, c in due],
        due_total=due_total,
        team=team,
    )
