"""Team reports: how a workspace, or a manager's team, kept its promises over a window, how
fast it first reached customers, which cases are getting old and which problems keep coming
back. Shown by `/case report`, sent weekly to managers as their digest, printed for
operators by `python -m bot report`. No Slack here.

Definitions (README → Reports):
- Promises: those due in [since, until], each counted by its owner with bot/outcomes.py's
  outcome() as of `now`, in its words (README → Glossary): kept on time (of them early), kept
  late, missed, rescheduled and cancelled (both counted apart, never a miss). The rate is the
  on-time rate, Tally.percent.
- Time to first contact: for each case opened in [since, until], from its opening to the
  earliest contact logged on it (a thread reply or a contact logged with the card's button,
  deleted ones included: the customer was reached). The median is per case owner (as of now)
  and overall; cases without a contact yet are counted, never left out silently.
- Stale: cases still open at `now` that were opened more than STALE_CASE_DAYS before it,
  oldest first. They don't depend on the window.
- Recurring: cases closed as recurring in [since, until], grouped by category (case and
  spacing don't count), most cases first."""

from __future__ import annotations

import statistics
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.insights import team_of
from bot.outcomes import Outcome, Tally, outcome, tally_of
from storage import insights as stored_insights
from storage import reports as stored

# How many stale cases and recurring categories a report lists; the rest are counted.
MAX_STALE_SHOWN = 15
MAX_CATEGORIES_SHOWN = 10


@dataclass(frozen=True)
class FirstContact:
    """Time to first contact over a set of cases opened in the window."""

    median: timedelta | None
    # Cases that have had a contact (the median is over these) and those still waiting.
    reached: int = 0
    waiting: int = 0

    @property
    def opened(self) -> int:
        return self.reached + self.waiting


@dataclass(frozen=True)
class AgentLine:
    agent_id: str
    promises: Tally
    first_contact: FirstContact
    stale: int = 0


@dataclass(frozen=True)
class StaleCase:
    case_id: int
    owner_id: str
    opened_at: datetime
    age: timedelta

    @property
    def ref(self) -> str:
        return f"CASE-{self.case_id}"


@dataclass(frozen=True)
class RecurringCategory:
    key: str
    # As someone first wrote it in the window ("Late delivery").
    category: str
    count: int
    case_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    team_id: str
    since: datetime
    until: datetime
    now: datetime
    # None: everyone in the workspace.
    agents: frozenset[str] | None
    lines: list[AgentLine]
    promises: Tally
    first_contact: FirstContact
    stale: list[StaleCase]
    stale_total: int
    stale_age: timedelta
    recurring: list[RecurringCategory]
    recurring_total: int


def build(
    session: Session,
    *,
    team_id: str,
    since: datetime,
    until: datetime,
    now: datetime,
    stale_age: timedelta,
    agents: Collection[str] | None = None,
    stale_limit: int = MAX_STALE_SHOWN,
    category_limit: int = MAX_CATEGORIES_SHOWN,
) -> Report:
    """The report of these agents (None: everyone) over [since, until], as of `now`."""
    owners = frozenset(agents) if agents is not None else None
    counts = _outcomes(session, team_id, owners, since, until, now)
    delays, waiting = _first_contacts(session, team_id, owners, since, until)
    stale_total, oldest, stale_per_owner = stored.stale_open_cases(
        session, team_id, owners, now - stale_age, stale_limit
    )
    categories_total, categories = stored.recurring_categories(
        session, team_id, owners, since, until, category_limit
    )
    everyone = set(owners or ()) | set(counts) | set(delays) | set(stale_per_owner)
    lines = [
        AgentLine(
            agent_id=agent,
            promises=tally_of(counts.get(agent, {})),
            first_contact=_first_contact(delays.get(agent, []), waiting.get(agent, 0)),
            stale=stale_per_owner.get(agent, 0),
        )
        for agent in sorted(everyone)
    ]
    return Report(
        team_id=team_id,
        since=since,
        until=until,
        now=now,
        agents=owners,
        lines=lines,
        promises=sum((line.promises for line in lines), Tally()),
        first_contact=_first_contact(
            [d for agent_delays in delays.values() for d in agent_delays], sum(waiting.values())
        ),
        stale=[StaleCase(case_id, owner, opened_at, now - opened_at) for case_id, owner, opened_at in oldest],
        stale_total=stale_total,
        stale_age=stale_age,
        recurring=[RecurringCategory(key, written, count, ids) for key, written, count, ids in categories],
        recurring_total=categories_total,
    )


def _outcomes(
    session: Session,
    team_id: str,
    owners: frozenset[str] | None,
    since: datetime,
    until: datetime,
    now: datetime,
) -> dict[str, dict[Outcome, int]]:
    """How each owner's promises due in the window ended, counted by outcome."""
    counts: dict[str, dict[Outcome, int]] = {}
    for owner, state, due_at, kept_at, remind_at, rescheduled_at, told, cancelled_at in stored.promises_due(
        session, team_id, owners, since, until
    ):
        result = outcome(state, due_at, kept_at, now, remind_at, rescheduled_at, told, cancelled_at)
        if result is not None:
            per = counts.setdefault(owner, dict.fromkeys(Outcome, 0))
            per[result] += 1
    return counts


def _first_contacts(
    session: Session, team_id: str, owners: frozenset[str] | None, since: datetime, until: datetime
) -> tuple[dict[str, list[timedelta]], dict[str, int]]:
    """For each owner's cases opened in the window: how long until the first contact, and how
    many have none yet."""
    delays: dict[str, list[timedelta]] = {}
    waiting: dict[str, int] = {}
    for owner, _case_id, opened_at, first_at in stored.first_contacts(session, team_id, owners, since, until):
        delays.setdefault(owner, [])
        if first_at is None:
            waiting[owner] = waiting.get(owner, 0) + 1
        else:
            delays[owner].append(max(timedelta(0), first_at - opened_at))
    return delays, waiting


def audience(session: Session, team_id: str, user_id: str, admins: Collection[str]) -> frozenset[str] | None:
    """Whose numbers someone sees: an admin the whole workspace (None); a manager their team
    (everyone below them, as on the App Home) and themselves, since managers often own cases
    too; anyone else only their own."""
    if user_id in admins:
        return None
    return frozenset(team_of_manager(session, team_id, user_id) | {user_id})


def team_of_manager(session: Session, team_id: str, manager_id: str) -> set[str]:
    """Everyone below the manager (bot/insights.team_of): empty for someone managing nobody."""
    return team_of(manager_id, lambda managers: stored_insights.direct_reports(session, team_id, managers))


def _first_contact(delays: list[timedelta], waiting: int) -> FirstContact:
    if not delays:
        return FirstContact(median=None, reached=0, waiting=waiting)
    # The median of an even count is the mean of the middle two (statistics.median).
    seconds = statistics.median(d.total_seconds() for d in delays)
    return FirstContact(median=timedelta(seconds=seconds), reached=len(delays), waiting=waiting)


def workspaces(session: Session) -> list[str]:
    """Every workspace with a case, for operator reports over the whole deployment."""
    return stored.workspaces_with_cases(session)
