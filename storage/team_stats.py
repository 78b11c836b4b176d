"""Reads for the dashboard's team page (bot/team_stats.py): a few statements per section,
whatever the number of cases, each aggregated in the database where it can be and each started
from an index (most of them read from the index alone): promises by due time
(ix_promises_due_outcome, and ix_promises_open_due_at for the open ones), escalations by when
they went out (ix_notifications_escalation_sent, ix_notifications_escalation_promise), cases by
when they were opened (ix_cases_team_opened) and closed as recurring
(ix_cases_recurring_closed), a case's first contact (ix_contacts_first). Measured at 100k cases
and 1M contacts: bench/dashboard.py.

`owner_ids` None means everyone in the workspace; otherwise only those owners. `bounds` are
the week boundaries in UTC, oldest first (weeks + 1 of them): a row falls in week i when
bounds[i] <= its time < bounds[i + 1]. They are computed by the caller in the viewer's time
zone, so a week across a DST change is simply an hour shorter or longer."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Float,
    String,
    and_,
    case,
    cast,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from storage.models import (
    Case,
    CasePriority,
    Notification,
    NotificationKind,
    Promise,
    PromiseState,
    Recurrence,
)
from storage.reports import _owned_by


def _week_of(column: Any, bounds: Sequence[datetime]) -> ColumnElement[int]:
    """The week index of a time already known to lie in [bounds[0], bounds[-1])."""
    return case(*((column < bound, index) for index, bound in enumerate(bounds[1:-1])), else_=len(bounds) - 2)


class OutcomeFacts(NamedTuple):
    """How many promises of one owner, due in one week, share the same answers to every question
    bot/outcomes.py's outcome() asks of a promise. None where the question has no answer (no
    kept time, no reschedule). The domain turns each set of answers into an outcome with
    outcome() itself, so the rule stays in one place while only a few hundred rows leave the
    database instead of every promise with its five times."""

    owner_id: str
    week: int
    state: PromiseState
    kept_by_due: bool | None  # kept_at <= due_at
    kept_before_remind: bool | None  # kept_at < remind_at
    rescheduled_late: bool | None  # rescheduled_at > due_at
    customer_told: bool | None
    cancelled_late: bool | None  # cancelled_at > due_at
    past_due: bool  # due_at < now
    count: int


def outcome_facts(
    session: Session,
    team_id: str,
    owner_ids: Collection[str] | None,
    bounds: Sequence[datetime],
    now: datetime,
) -> list[OutcomeFacts]:
    """Promises due in [bounds[0], bounds[-1]), counted by owner, week and outcome() answers."""
    # As in storage/reports.promises_due: the promises due in the window first, by
    # ix_promises_due_outcome, then their cases by primary key; MATERIALIZED keeps SQLite from
    # walking every case of the workspace instead.
    due = (
        select(
            Promise.case_id,
            Promise.owner_id,
            Promise.state,
            _week_of(Promise.due_at, bounds).label("week"),
            (Promise.kept_at <= Promise.due_at).label("kept_by_due"),
            (Promise.kept_at < Promise.remind_at).label("kept_before_remind"),
            (Promise.rescheduled_at > Promise.due_at).label("rescheduled_late"),
            Promise.customer_told,
            (Promise.cancelled_at > Promise.due_at).label("cancelled_late"),
            (Promise.due_at < now).label("past_due"),
        )
        # Owners compared as `owner_id || ''`: without ANALYZE (the bot never runs it) SQLite
        # would read a manager's team by ix_promises_owner_state instead, every promise they ever
        # had (a year's worth) for twelve weeks of them. The expression keeps it on the due times.
        .where(
            Promise.due_at >= bounds[0],
            Promise.due_at < bounds[-1],
            *_owned_by(Promise.owner_id + "", owner_ids),
        )
        .cte("due")
        .prefix_with("MATERIALIZED")
    )
    answers = [
        due.c.owner_id,
        due.c.week,
        due.c.state,
        due.c.kept_by_due,
        due.c.kept_before_remind,
        due.c.rescheduled_late,
        due.c.customer_told,
        due.c.cancelled_late,
        due.c.past_due,
    ]
    rows = session.execute(
        select(*answers, func.count())
        .join(Case, Case.id == due.c.case_id)
        .where(Case.team_id == team_id)
        .group_by(*answers)
    ).all()
    # SQLite answers comparisons with 1, 0 or NULL.
    return [
        OutcomeFacts(owner, int(week), PromiseState(state), *map(_maybe, answered), bool(past_due), count)
        for owner, week, state, *answered, past_due, count in rows
    ]


def _maybe(answer: Any) -> bool | None:
    return None if answer is None else bool(answer)


class OpenPromiseRow(NamedTuple):
    promise_id: int
    case_id: int
    owner_id: str
    description: str
    due_at: datetime


def open_promises_due(
    session: Session,
    team_id: str,
    owner_ids: Collection[str] | None,
    since: datetime | None,
    until: datetime,
    limit: int,
) -> tuple[int, list[OpenPromiseRow]]:
    """Open promises due in [since, until) (since None: any time before until): how many, and
    the `limit` due first."""
    # The open promises due in the range first, by ix_promises_open_due_at (it holds only open
    # promises: the overdue ones of a big workspace are read without touching the kept
    # history), then their cases; left to itself SQLite walks the workspace's cases instead.
    due = [Promise.due_at < until, *_owned_by(Promise.owner_id, owner_ids)]
    if since is not None:
        due.append(Promise.due_at >= since)
    open_due = (
        select(Promise.id, Promise.case_id, Promise.owner_id, Promise.description, Promise.due_at)
        # A literal, not a bound value: SQLite uses a partial index only when the query's WHERE
        # plainly implies the index's (as in storage/monitoring.py).
        .where(literal_column("promises.state = 'open'"), *due)
        .cte("open_due")
        .prefix_with("MATERIALIZED")
    )
    # One statement: the count over every row (before the limit) comes with the first rows.
    rows = session.execute(
        select(open_due, func.count().over())
        .join(Case, and_(Case.id == open_due.c.case_id, Case.team_id == team_id))
        .order_by(open_due.c.due_at, open_due.c.id)
        .limit(limit)
    ).all()
    total = rows[0][-1] if rows else 0
    return total, [OpenPromiseRow(*row[:-1]) for row in rows]


# A literal, not a bound value: SQLite uses a partial index only when the query's WHERE plainly
# implies the index's (as in storage/monitoring.py).
_ESCALATION = literal_column(f"notifications.kind = '{NotificationKind.ESCALATION.value}'")


def first_escalations(
    session: Session, team_id: str, owner_ids: Collection[str] | None, bounds: Sequence[datetime]
) -> list[tuple[int, float | None]]:
    """(week, seconds from the first escalation sent to the acknowledgement, or None when not
    acknowledged) of every promise whose first escalation message went out in [bounds[0],
    bounds[-1]). A promise with a level out before that is left out: it escalated earlier."""
    since, until = bounds[0], bounds[-1]
    sent_in_window = (
        select(Notification.promise_id)
        .where(
            Notification.team_id == team_id,
            _ESCALATION,
            Notification.sent_at >= since,
            Notification.sent_at < until,
        )
        .scalar_subquery()
    )
    # Every level of those promises, by the (promise, kind, level) unique index, to find each
    # one's first: a later level may be the only one in the window.
    first = (
        select(Notification.promise_id, func.min(Notification.sent_at).label("first_at"))
        .where(
            Notification.promise_id.in_(sent_in_window),
            _ESCALATION,
            Notification.sent_at.is_not(None),
        )
        .group_by(Notification.promise_id)
        .having(func.min(Notification.sent_at) >= since)
        .subquery()
    )

    # The promise's acknowledgement and owner looked up by primary key for each escalated one:
    # as a join, PostgreSQL reads every promise ever made to hash them.
    def of_promise(column: Any) -> Any:
        return select(column).where(Promise.id == first.c.promise_id).scalar_subquery()

    owner = of_promise(Promise.owner_id)
    rows = session.execute(
        select(
            _week_of(first.c.first_at, bounds),
            _seconds_between(first.c.first_at, of_promise(Promise.acknowledged_at)),
        ).where(*_owned_by(owner, owner_ids))
    ).all()
    # SQLite's julianday() arithmetic is exact to some microseconds only: whole milliseconds.
    return [(int(week), wait) for week, wait in rows]


def recurring_by_week(
    session: Session, team_id: str, owner_ids: Collection[str] | None, bounds: Sequence[datetime]
) -> tuple[list[tuple[str, int, int]], dict[str, str]]:
    """Cases closed as recurring in [bounds[0], bounds[-1]): (category key, week, count) and each
    key's category as first written in the window (the earliest closed case's)."""
    where = (
        Case.team_id == team_id,
        Case.closed_at >= bounds[0],
        Case.closed_at < bounds[-1],
        # A literal, so SQLite may use the partial ix_cases_recurring_closed.
        literal_column(f"cases.recurrence = '{Recurrence.RECURRING.value}'"),
        Case.category_key.is_not(None),
        *_owned_by(Case.owner_id, owner_ids),
    )
    week = _week_of(Case.closed_at, bounds)
    counts = session.execute(
        select(Case.category_key, week, func.count()).where(*where).group_by(Case.category_key, week)
    ).all()
    ranked = (
        select(
            Case.category_key,
            Case.category,
            func.row_number()
            .over(partition_by=Case.category_key, order_by=(Case.closed_at, Case.id))
            .label("rank"),
        )
        .where(*where)
        .subquery()
    )
    labels = dict(
        session.execute(select(ranked.c.category_key, ranked.c.category).where(ranked.c.rank == 1)).all()
    )
    return [(key, int(week_index), count) for key, week_index, count in counts], labels


def first_contact_delays(
    session: Session, team_id: str, owner_ids: Collection[str] | None, since: datetime, until: datetime
) -> dict[CasePriority, list[float | None]]:
    """By priority: the seconds from opening to the first contact (None while there is none) of
    every case opened in [since, until). First contact as bot/cases.reached keeps it: a contact,
    not an internal note, deleted ones included."""
    first_at = Case.first_contact_at
    # The priority read as the plain string it is stored as: an Enum per row is most of the
    # cost at twenty thousand cases.
    rows = session.execute(
        select(type_coerce(Case.priority, String), _seconds_between(Case.opened_at, first_at)).where(
            Case.team_id == team_id,
            Case.opened_at >= since,
            Case.opened_at < until,
            *_owned_by(Case.owner_id, owner_ids),
        )
    )
    found: dict[CasePriority, list[float | None]] = {priority: [] for priority in CasePriority}
    by_value = {priority.value: found[priority] for priority in CasePriority}
    for priority, delay in rows:
        by_value[priority].append(delay)
    return found


class _SecondsBetween(FunctionElement[float]):
    """end - start in seconds, each backend its own way (both hold UTC)."""

    inherit_cache = True
    type = Float()
    name = "seconds_between"


@compiles(_SecondsBetween, "sqlite")
def _sqlite_seconds(element: _SecondsBetween, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(julianday({end}) - julianday({start})) * 86400.0"


@compiles(_SecondsBetween, "postgresql")
def _postgres_seconds(element: _SecondsBetween, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


def _seconds_between(start: Any, end: Any) -> ColumnElement[float]:
    # SQLite's julianday() arithmetic is exact to some microseconds only: whole milliseconds,
    # rounded in the database rather than once per row in Python.
    # Cast: PostgreSQL's EXTRACT gives a numeric, which would come back as a Decimal.
    return cast(func.round(_SecondsBetween(start, end), 3), Float)
