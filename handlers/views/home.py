"""The App Home tab as people see it: what is mine, what is due today, and for managers how their
team keeps its word. Drawn from a snapshot (bot/insights.py); the listener is
handlers/listeners/home.py."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock, PlainTextObject
from slack_sdk.models.views import View

from bot import insights
from bot.insights import CaseWithNext, DuePromise, HomeSnapshot, TeamView
from bot.roster import Roster
from handlers.usage import USAGE
from handlers.views.blocks import context, customer_of, duration, packed, safe, section, when
from handlers.views.team import roster_blocks
from storage.models import CasePriority

# Slack refuses a home view of more than 100 blocks (views.publish answers invalid_arguments).
MAX_BLOCKS = 100

PRIORITY = {
    CasePriority.LOW: "low priority",
    CasePriority.HIGH: ":arrow_up: *high priority*",
    CasePriority.URGENT: ":rotating_light: *urgent*",
}


def home_view(snapshot: HomeSnapshot, roster: Roster | None = None) -> View:
    """`roster`: everyone's manager chain, shown to admins (handlers/views/team.py)."""
    now = snapshot.now
    admin = roster_blocks(roster) if roster is not None else []
    if snapshot.empty:
        # Everyone's first visit: one line that says how to start, nothing else to read.
        return View(
            type="home",
            blocks=[
                section(
                    f":wave: No open cases yet. Start one with {USAGE['open']}:"
                    " your cases, what you promised and what is due today will show here."
                ),
                *admin,
            ],
        )
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text="Your cases and promises")),
        context(f"As of {when(now, '{time}')}. Open this tab again to refresh."),
    ]
    if snapshot.cases_total or snapshot.due_total:
        blocks += _due_blocks(snapshot)
        blocks.append(DividerBlock())
    # Nothing of their own (a manager's home): one line on how to start instead of two empty lists.
    blocks += _case_blocks(snapshot)
    if snapshot.team is not None:
        blocks.append(DividerBlock())
        blocks += _team_blocks(snapshot.team, now)
    return View(type="home", blocks=_fit(blocks + admin))


def _due_blocks(snapshot: HomeSnapshot) -> list[Block]:
    title = "*:alarm_clock: Your promises due today and overdue*"
    if not snapshot.due_total:
        return [section(f"{title}\nNothing due today.")]
    lines = [title + f" ({snapshot.due_total})"] + [_due_line(d, snapshot.now) for d in snapshot.due]
    return _packed(lines) + _more(snapshot.due_total - len(snapshot.due), "`/case list`")


def _due_line(due: DuePromise, now: datetime) -> str:
    promise, case = due.promise, due.case
    what = safe(promise.description, 120)
    if promise.due_at < now:
        return (
            f"• :red_circle: *{case.ref}* “{what}” · *overdue by {duration(now - promise.due_at)}*"
            f" (was due {when(promise.due_at)})"
        )
    return f"• :hourglass_flowing_sand: *{case.ref}* “{what}” · due {when(promise.due_at)}"


def _case_blocks(snapshot: HomeSnapshot) -> list[Block]:
    if not snapshot.cases_total:
        return [section(f"*:briefcase: Your open cases*\nNone. Start one with {USAGE['open']}.")]
    lines = [f"*:briefcase: Your open cases ({snapshot.cases_total})*"]
    lines += [_case_line(c, snapshot.now) for c in snapshot.cases]
    return _packed(lines) + _more(snapshot.cases_total - len(snapshot.cases), "`/case list`")


def _case_line(item: CaseWithNext, now: datetime) -> str:
    case, promise = item.case, item.next_promise
    line = f"• *{case.ref}* · {customer_of(case, 60)} · {safe(case.summary, 80)}"
    if case.priority in PRIORITY:
        line += f" · {PRIORITY[case.priority]}"
    if promise is None:
        return line + "\n      _no open promise_"
    late = " · *overdue*" if promise.due_at < now else ""
    return line + f"\n      next: “{safe(promise.description, 80)}” due {when(promise.due_at)}{late}"


def _team_blocks(team: TeamView, now: datetime) -> list[Block]:
    people_count = len(team.members)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text="Your team")),
        section(
            f"*:bar_chart: Kept promises* · {people_count}"
            f" {'person reports' if people_count == 1 else 'people report'} to you, directly or not\n"
            + "\n".join(insights.describe(label, counts) for label, counts in team.kept)
        ),
    ]
    title = "*:rotating_light: Overdue on your team*"
    if not team.overdue_total:
        return blocks + [section(f"{title}\nNothing overdue.")]
    lines = [f"{title} ({team.overdue_total})"] + [_team_line(d, now) for d in team.overdue]
    return (
        blocks
        + _packed(lines)
        + _more(team.overdue_total - len(team.overdue), "the longest overdue are shown")
    )


def _team_line(due: DuePromise, now: datetime) -> str:
    promise, case = due.promise, due.case
    return (
        f"• <@{promise.owner_id}> · *{case.ref}* {customer_of(case, 60)}"
        f" · “{safe(promise.description, 100)}” · *{duration(now - promise.due_at)} late*"
        f" (due {when(promise.due_at)})"
    )


# ---- staying inside Block Kit's limits ----------------------------------------------------------


def _packed(lines: list[str]) -> list[Block]:
    """The title line and its lines in as few sections as fit: a line is never split, so a
    `<!date…>` token is never cut in half."""
    return list(packed(lines[0], lines[1:]))


def _more(hidden: int, where: str) -> list[Block]:
    """A cut list says so, never silently."""
    return [context(f"…and {hidden} more — {where}")] if hidden > 0 else []


def _fit(blocks: list[Block]) -> list[Block]:
    """The lists are capped well below 100 blocks; this is the guarantee if that ever changes."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return blocks[: MAX_BLOCKS - 1] + [context("…and more than fits here — `/case list`")]
