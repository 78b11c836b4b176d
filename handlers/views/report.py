"""Block Kit for a team report (bot/reports.py): the `/case report` reply and the weekly digest
DM show the same thing. Every number the report has is shown; long lists are cut and the rest
counted ("and 4 more")."""

from __future__ import annotations

from datetime import datetime, timedelta

from slack_sdk.models.blocks import Block, DividerBlock

from bot import outcomes
from bot.outcomes import Tally
from bot.plurals import counted
from bot.reports import AgentLine, FirstContact, Report
from handlers.usage import USAGE
from handlers.views.blocks import Message, context, duration, message, packed, safe, section, when

# Agent lines shown per section; a whole workspace may have hundreds (the CLI lists everyone).
MAX_AGENTS_SHOWN = 40
MAX_REFS_SHOWN = 8


def promises_text(counts: Tally) -> str:
    """The promises' line in the domain's words (bot/outcomes.summary), as the App Home says it."""
    return outcomes.summary(counts)


def first_contact_text(facts: FirstContact) -> str:
    """e.g. "median 2h 5m over 12 cases · 3 without a contact yet"."""
    waiting = f"{facts.waiting} without a contact yet" if facts.waiting else ""
    if facts.median is None:
        return waiting or "no cases opened"
    reached = f"median {duration(facts.median)} over {counted(facts.reached, 'case')}"
    return f"{reached} · {waiting}" if waiting else reached


def whose(report: Report, viewer: str | None) -> str:
    if report.agents is None:
        return "the whole workspace"
    if viewer is not None and report.agents == frozenset({viewer}):
        return "you"
    return f"your team ({len(report.agents)} people, you included)"


def report_message(report: Report, *, viewer: str | None, title: str = "Team report") -> Message:
    period = (
        f"{when(report.since, '{date_short_pretty}')} – {when(report.until, '{date_short_pretty} {time}')}"
    )
    blocks: list[Block] = [
        section(f"*{title}* for {whose(report, viewer)} · {period}"),
        section(f"*Promises due in the window*: {promises_text(report.promises)}"),
    ]
    blocks += _agent_lines(
        "", [line for line in report.lines if line.promises != Tally()], lambda x: promises_text(x.promises)
    )
    blocks.append(DividerBlock())
    first = first_contact_text(report.first_contact)
    blocks.append(section(f"*Time to first contact* (cases opened in the window): {first}"))
    blocks += _agent_lines(
        "",
        [line for line in report.lines if line.first_contact.opened],
        lambda x: first_contact_text(x.first_contact),
    )
    blocks.append(DividerBlock())
    blocks += _stale(report)
    blocks.append(DividerBlock())
    blocks += _recurring(report)
    blocks.append(
        context(
            "Kept early: before the reminder, and so on time. Rescheduled (the customer told) is never"
            " a miss."
            f" Weekly by DM: {USAGE['digest']}."
        )
    )
    text = (
        f"{title} for {whose(report, viewer)}, promises due {_plain(report.since)} to {_plain(report.until)}:"
        f" {promises_text(report.promises)}. Time to first contact: {first}."
        f" {counted(report.stale_total, 'open case')} older than {duration(report.stale_age)}."
    )
    return message(text, blocks)


def _plain(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _agent_lines(header: str, lines: list[AgentLine], describe) -> list[Block]:  # type: ignore[no-untyped-def]
    if not lines:
        return []
    shown = [f"• <@{line.agent_id}>: {describe(line)}" for line in lines[:MAX_AGENTS_SHOWN]]
    if len(lines) > MAX_AGENTS_SHOWN:
        shown.append(f"… and {len(lines) - MAX_AGENTS_SHOWN} more (`python -m bot report` lists everyone)")
    return list(packed(header, shown))


def _stale(report: Report) -> list[Block]:
    header = f"*Open longer than {duration(report.stale_age)}* ({report.stale_total})"
    if not report.stale_total:
        return [section(f"{header}\nNone.")]
    lines = [
        f"• *{case.ref}* · <@{case.owner_id}> · open {_age(case.age)} (since {when(case.opened_at)})"
        for case in report.stale
    ]
    if report.stale_total > len(report.stale):
        lines.append(f"… and {report.stale_total - len(report.stale)} more")
    return list(packed(header, lines))


def _age(age: timedelta) -> str:
    # Days and hours are what matters for a case open for weeks.
    return (
        duration(timedelta(hours=age // timedelta(hours=1))) if age >= timedelta(hours=1) else duration(age)
    )


def _recurring(report: Report) -> list[Block]:
    header = "*Recurring problems* (closed as recurring in the window)"
    if not report.recurring:
        return [section(f"{header}\nNone.")]
    lines = []
    for category in report.recurring:
        refs = ", ".join(f"CASE-{case_id}" for case_id in category.case_ids[:MAX_REFS_SHOWN])
        more = (
            f" and {len(category.case_ids) - MAX_REFS_SHOWN} more"
            if len(category.case_ids) > MAX_REFS_SHOWN
            else ""
        )
        lines.append(f"• {safe(category.category)}: {counted(category.count, 'case')} ({refs}{more})")
    if report.recurring_total > len(report.recurring):
        lines.append(f"… and {report.recurring_total - len(report.recurring)} more categories")
    return list(packed(header, lines))


# ---- /case digest ----------------------------------------------------------------------------


def digest_is(schedule: str | None, *, own: bool, manages: int) -> Message:
    if schedule is None:
        text = "You get no weekly digest (turned off)."
    else:
        whose_setting = "your own" if own else "the team's default"
        text = f"Your weekly digest comes {schedule} on your Slack time zone ({whose_setting})."
    if not manages:
        text += " It is only sent to managers: nobody has set you as their manager yet."
    text += f" Change it with {USAGE['digest']}, `/case digest off` or `/case digest default`."
    return message(text, [section(text)])


def digest_set(schedule: str | None, *, own: bool) -> Message:
    if schedule is None:
        text = "No more weekly digests for you. `/case digest default` turns them back on."
    elif own:
        text = f"Your weekly digest now comes {schedule}, on your Slack time zone."
    else:
        text = f"You're back on the team's digest time: {schedule}, on your Slack time zone."
    return message(text, [section(f":white_check_mark: {text}")])
