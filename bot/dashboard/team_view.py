"""The team page's sections: each chart (bot/dashboard/charts.py) with the table it draws
(bot/dashboard/tables.py), whose CSV is at /dashboard/team/<table name>.csv. Built from
bot/team_stats.py's numbers; people named as the viewer sees them (render.Looks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from markupsafe import Markup

from bot.dashboard import charts
from bot.dashboard.charts import Bar, LineSeries, Series
from bot.dashboard.render import Looks, duration
from bot.dashboard.tables import Table
from bot.outcomes import Tally
from bot.team_stats import OpenPromises, TeamStats


@dataclass(frozen=True)
class Section:
    title: str
    # Why the reader should care, in a line.
    lead: str
    chart: Markup | None
    table: Table


def _minutes(length: timedelta | None) -> float | None:
    """A length in minutes, to a tenth, as charts and CSV give it."""
    return None if length is None else round(length.total_seconds() / 60, 1)


def _rate(tally: Tally) -> int | None:
    return tally.percent


def _week_labels(stats: TeamStats, looks: Looks) -> list[str]:
    return [looks.day(week) for week in stats.weeks]


def promises_per_week(stats: TeamStats, looks: Looks) -> Section:
    labels = _week_labels(stats, looks)
    tallies = stats.team
    chart = charts.stacked_bars(
        "Promises per week",
        labels,
        [
            Series("kept on time", [t.on_time for t in tallies], "good"),
            Series("kept late", [t.late for t in tallies], "late"),
            Series("rescheduled, customer told", [t.rescheduled for t in tallies], "neutral"),
            Series("missed", [t.missed for t in tallies], "bad"),
        ],
        unit="",
    )
    rows: list[list[str | int | float | None]] = [
        [week.isoformat(), t.on_time, t.late, t.rescheduled, t.missed, _rate(t)]
        for week, t in zip(stats.weeks, tallies, strict=True)
    ]
    table = Table(
        "promises-per-week",
        "Promises per week (week starting)",
        ["week", "kept on time", "kept late", "rescheduled, customer told", "missed", "on-time rate %"],
        rows,
    )
    return Section(
        "Promises kept, week by week", "Every promise due in the week, by how it ended.", Markup(chart), table
    )


def on_time_rate(stats: TeamStats, looks: Looks) -> Section:
    labels = _week_labels(stats, looks)
    series = [LineSeries("team", [_rate(t) for t in stats.team], "info")]
    chart = charts.lines("On-time rate per week", labels, series, y_max=100, unit="%")
    columns = [
        "agent",
        "week",
        "kept on time",
        "kept late",
        "rescheduled, customer told",
        "missed",
        "on-time rate %",
    ]
    rows: list[list[str | int | float | None]] = []
    for agent in stats.agents:
        for week, t in zip(stats.weeks, agent.weeks, strict=True):
            rows.append(
                [
                    looks.name(agent.agent_id),
                    week.isoformat(),
                    t.on_time,
                    t.late,
                    t.rescheduled,
                    t.missed,
                    _rate(t),
                ]
            )
    table = Table("agents-per-week", "Each agent's promises per week", columns, rows)
    return Section(
        "On-time rate",
        "Kept on time out of kept and missed; weeks with nothing due have no rate.",
        Markup(chart),
        table,
    )


def agent_lines(stats: TeamStats) -> list[tuple[str, Markup, Tally]]:
    """Per agent: id, a sparkline of their weekly rate, their 12-week tally."""
    return [
        (agent.agent_id, Markup(charts.sparkline([_rate(t) for t in agent.weeks], unit="%")), agent.total)
        for agent in stats.agents
    ]


def open_promises(name: str, title: str, found: OpenPromises, looks: Looks) -> Table:
    return Table(
        name,
        title,
        ["case", "owner", "promise", "due"],
        [
            [f"CASE-{p.case_id}", looks.name(p.owner_id), p.description, looks.iso(p.due_at)]
            for p in found.listed
        ],
    )


def escalations(stats: TeamStats, looks: Looks) -> Section:
    labels = _week_labels(stats, looks)
    weeks = stats.escalations
    chart = charts.stacked_bars(
        "Escalations per week",
        labels,
        [
            Series("acknowledged", [w.acknowledged for w in weeks], "good"),
            Series("not acknowledged", [w.escalated - w.acknowledged for w in weeks], "bad"),
        ],
        unit="",
    )
    rows: list[list[str | int | float | None]] = [
        [
            w.week.isoformat(),
            w.escalated,
            w.acknowledged,
            _minutes(w.median_to_acknowledge),
            duration(w.median_to_acknowledge) if w.median_to_acknowledge is not None else None,
        ]
        for w in weeks
    ]
    table = Table(
        "escalations-per-week",
        "Escalations per week",
        ["week", "escalated", "acknowledged", "median minutes to acknowledge", "median to acknowledge"],
        rows,
    )
    return Section(
        "Escalations",
        "Missed promises that reached a manager, and how fast someone took them up.",
        Markup(chart),
        table,
    )


def recurring(stats: TeamStats, looks: Looks) -> Section:
    labels = _week_labels(stats, looks)
    series = [
        LineSeries(c.label, [float(n) for n in c.weeks], f"category-{i % 5 + 1}")
        for i, c in enumerate(stats.categories)
    ]
    chart = charts.lines("Recurring problems per week", labels, series, unit="") if series else None
    rows: list[list[str | int | float | None]] = [
        [week.isoformat(), *[c.weeks[i] for c in stats.categories]] for i, week in enumerate(stats.weeks)
    ]
    table = Table(
        "recurring-per-week",
        "Cases closed as recurring, per week",
        ["week", *[c.label for c in stats.categories]],
        rows,
    )
    return Section(
        "Recurring problems",
        "Cases closed as recurring, by category: what keeps coming back needs fixing at the root.",
        Markup(chart) if chart else None,
        table,
    )


def first_contact(stats: TeamStats) -> Section:
    bars = [
        Bar(
            p.priority.value,
            _minutes(p.median),
            duration(p.median) if p.median is not None else ("no contacts yet" if p.waiting else "no cases"),
        )
        for p in stats.first_contact
    ]
    chart = charts.horizontal_bars("Median time to first contact by priority", bars, unit=" min")
    rows: list[list[str | int | float | None]] = [
        [
            p.priority.value,
            _minutes(p.median),
            _minutes(p.p90),
            p.reached,
            p.waiting,
        ]
        for p in stats.first_contact
    ]
    table = Table(
        "first-contact-by-priority",
        "Time to first contact by priority (cases opened in these 12 weeks)",
        ["priority", "median minutes", "90th percentile minutes", "reached", "still waiting"],
        rows,
    )
    return Section(
        "Time to first contact",
        "From opening a case to the first contact with the customer.",
        Markup(chart),
        table,
    )


def sections(stats: TeamStats, looks: Looks) -> list[Section]:
    return [
        promises_per_week(stats, looks),
        on_time_rate(stats, looks),
        escalations(stats, looks),
        recurring(stats, looks),
        first_contact(stats),
    ]


def tables(stats: TeamStats, looks: Looks) -> dict[str, Table]:
    """Every table the page offers as CSV, by name."""
    found = {section.table.name: section.table for section in sections(stats, looks)}
    for table in (
        open_promises("overdue-now", "Promises overdue now", stats.overdue, looks),
        open_promises("due-today", "Promises due today", stats.due_today, looks),
    ):
        found[table.name] = table
    return found


def people_in(stats: TeamStats) -> set[str]:
    return {a.agent_id for a in stats.agents} | {
        p.owner_id for p in stats.overdue.listed + stats.due_today.listed
    }
