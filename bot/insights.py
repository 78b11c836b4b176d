"""What the App Home shows, as domain facts: who someone's team is, which of their promises are
due today, and how well promises were kept. No Slack here; the definitions are pure functions
over plain values so they can be read and tested on their own.

Definitions (README → App Home):
- A promise *counts* in a window when its due_at falls in [now - window, now].
- Kept early: state kept and kept_at < remind_at, that is before the owner needed the
  reminder ("under-promise, over-deliver"). Kept on time: kept, not early, kept_at <= due_at.
  Kept late: kept and kept_at > due_at. Missed: still open past its due time.
- Rescheduled (replaced by a new promise before its due time, the customer told) is counted
  apart: it is neither kept nor missed; its replacement counts on its own due time. A promise
  given a new time only after it was due (a manager's extension from an escalation), or without
  the customer told, was missed: it counts as missed.
- Cancelled (called off with a reason before its due time, the customer told) is counted apart
  too: neither kept nor missed, and not in the rate. Called off only after its due time, it
  was missed first: it counts as missed.
- Rate = (early + on time) / (early + on time + late + missed). With nothing counted there is
  no rate."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from bot.authz import MAX_CHAIN
from bot.clock import zone
from storage import insights as stored
from storage.models import Case, Promise, PromiseState

WINDOWS = (("Last 7 days", timedelta(days=7)), ("Last 30 days", timedelta(days=30)))

# How many rows of each list the home shows; the rest are counted and said to be there.
MAX_CASES_SHOWN = 40
MAX_PROMISES_SHOWN = 25
MAX_TEAM_OVERDUE_SHOWN = 25


class Outcome(StrEnum):
    KEPT_EARLY = "kept_early"
    KEPT_ON_TIME = "kept_on_time"
    KEPT_LATE = "kept_late"
    MISSED = "missed"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"


def outcome(
    state: str,
    due_at: datetime,
    kept_at: datetime | None,
    now: datetime,
    remind_at: datetime | None = None,
    rescheduled_at: datetime | None = None,
    customer_told: bool | None = None,
    cancelled_at: datetime | None = None,
) -> Outcome | None:
    """How one promise ended, or None while it is still open and not yet due. Without its
    reminder time a promise can't be told kept early, only on time; without when and how it was
    rescheduled (or cancelled), it is taken as rescheduled (or cancelled) in time."""
    if state == PromiseState.CANCELLED:
        # Calling off a promise already missed doesn't undo the miss.
        if cancelled_at is not None and cancelled_at > due_at:
            return Outcome.MISSED
        return Outcome.CANCELLED
    if state == PromiseState.RESCHEDULED:
        too_late = rescheduled_at is not None and rescheduled_at > due_at
        if too_late or customer_told is False:
            return Outcome.MISSED
        return Outcome.RESCHEDULED
    if state == PromiseState.KEPT:
        # A kept promise without a kept time can't be shown late: count it as kept on time
        # rather than invent a lateness (every keep records kept_at today).
        if kept_at is not None and remind_at is not None and kept_at < remind_at:
            return Outcome.KEPT_EARLY
        if kept_at is None or kept_at <= due_at:
            return Outcome.KEPT_ON_TIME
        return Outcome.KEPT_LATE
    if state == PromiseState.OPEN and due_at < now:
        return Outcome.MISSED
    return None


@dataclass(frozen=True)
class Tally:
    # Kept on time but not early: `early` is counted apart, and both are kept in time.
    on_time: int = 0
    late: int = 0
    missed: int = 0
    rescheduled: int = 0
    early: int = 0
    cancelled: int = 0

    @property
    def in_time(self) -> int:
        """Kept by the due time: early or on time."""
        return self.early + self.on_time

    @property
    def counted(self) -> int:
        """The promises the rate is over: rescheduled and cancelled ones are not among them."""
        return self.in_time + self.late + self.missed

    @property
    def percent(self) -> int | None:
        """Kept in time, in whole percent rounded down (so 100% means every one), or None
        when nothing counted: 0 of 0 is not 0%."""
        if self.counted == 0:
            return None
        return self.in_time * 100 // self.counted


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
    return Tally(
        early=counts[Outcome.KEPT_EARLY],
        on_time=counts[Outcome.KEPT_ON_TIME],
        late=counts[Outcome.KEPT_LATE],
        missed=counts[Outcome.MISSED],
        rescheduled=counts[Outcome.RESCHEDULED],
        cancelled=counts[Outcome.CANCELLED],
    )


def describe(label: str, counts: Tally) -> str:
    """One line, e.g. "Last 7 days: 8 of 10 kept on time (80%), 3 of them early · 1 kept late ·
    1 missed · 2 rescheduled · 1 cancelled"."""
    rescheduled = f" · {counts.rescheduled} rescheduled" if counts.rescheduled else ""
    rescheduled += f" · {counts.cancelled} cancelled" if counts.cancelled else ""
    if counts.percent is None:
        return f"{label}: no promises were due{rescheduled}"
    early = f", {counts.early} of them early" if counts.early else ""
    return (
        f"{label}: {counts.in_time} of {counts.counted} kept on time ({counts.percent}%){early}"
        f" · {counts.late} kept late · {counts.missed} missed{rescheduled}"
    )


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
