"""The App Home tab: what is mine, what is due today, and for managers how their team keeps
its word. Drawn on `app_home_opened` and published with `views.publish`.

The listener is thin on purpose: Bolt has already answered Slack 200 (events are acked before
the listener runs on the executor), so nothing here may raise into Bolt; a failure is logged
and the person simply sees the previous home until they open it again. Other handlers call
publish_home() to redraw someone's home after a change."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import insights
from bot.insights import CaseWithNext, DuePromise, HomeSnapshot, TeamView
from handlers.outbound import people
from handlers.parse import USAGE
from handlers.services import Services
from handlers.views.blocks import SECTION_TEXT_LIMIT, clip, customer_of, duration, safe, when
from storage.models import CasePriority

log = logging.getLogger(__name__)

# Slack refuses a home view of more than 100 blocks (views.publish answers invalid_arguments).
MAX_BLOCKS = 100

PRIORITY = {
    CasePriority.LOW: "low priority",
    CasePriority.HIGH: ":arrow_up: *high priority*",
    CasePriority.URGENT: ":rotating_light: *urgent*",
}


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def on_app_home_opened(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        # The Messages tab (the person's DM with the bot) sends this event too: nothing to draw.
        # Still listened to, so Bolt answers 200 rather than 404 (which Slack would retry).
        if event.get("tab") != "home" or not event.get("user"):
            return
        publish_home(services, context.team_id or body.get("team_id", ""), event["user"])


def publish_home(services: Services, team_id: str, user_id: str) -> bool:
    """Draw and publish the user's home. Never raises: True when Slack took the view."""
    client = services.client_for(team_id)
    try:
        # Cached for a day; when Slack can't answer it falls back to the last known zone.
        tz = people.time_zone(client, services.db, services.clock, team_id, user_id)
        now = services.clock.now()
        with services.db.transaction() as session:
            snapshot = insights.home_snapshot(session, team_id, user_id, now, tz)
        view = home_view(snapshot)
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as error:
        log.warning(
            "home.publish_failed team_id=%s user_id=%s error=%s",
            team_id,
            user_id,
            error.response.get("error"),
        )
        return False
    except Exception:  # the database or the network: the next home opening tries again
        log.error("home.publish_failed team_id=%s user_id=%s", team_id, user_id, exc_info=True)
        return False
    log.info("home.published team_id=%s user_id=%s blocks=%d", team_id, user_id, len(view.blocks or []))
    return True


# ---- the view ---------------------------------------------------------------------------------


def home_view(snapshot: HomeSnapshot) -> View:
    now = snapshot.now
    if snapshot.empty:
        # Everyone's first visit: one line that says how to start, nothing else to read.
        return View(
            type="home",
            blocks=[
                _section(
                    f":wave: No open cases yet. Start one with {USAGE['open']}:"
                    " your cases, what you promised and what is due today will show here."
                )
            ],
        )
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text="Your cases and promises")),
        _context(f"As of {when(now, '{time}')}. Open this tab again to refresh."),
    ]
    if snapshot.cases_total or snapshot.due_total:
        blocks += _due_blocks(snapshot)
        blocks.append(DividerBlock())
    # Nothing of their own (a manager's home): one line on how to start instead of two empty lists.
    blocks += _case_blocks(snapshot)
    if snapshot.team is not None:
        blocks.append(DividerBlock())
        blocks += _team_blocks(snapshot.team, now)
    return View(type="home", blocks=_fit(blocks))


def _due_blocks(snapshot: HomeSnapshot) -> list[Block]:
    title = "*:alarm_clock: Your promises due today and overdue*"
    if not snapshot.due_total:
        return [_section(f"{title}\nNothing due today.")]
    lines = [title + f" ({snapshot.due_total})"] + [_due_line(d, snapshot.now) for d in snapshot.due]
    return _sections(lines) + _more(snapshot.due_total - len(snapshot.due), "`/case list`")


def _due_line(due: DuePromise, now: datetime) -> str:
    promise, case = due.promise, due.case
    what = clip(safe(promise.description), 120)
    if promise.due_at < now:
        return (
            f"• :red_circle: *{case.ref}* “{what}” · *overdue by {duration(now - promise.due_at)}*"
            f" (was due {when(promise.due_at)})"
        )
    return f"• :hourglass_flowing_sand: *{case.ref}* “{what}” · due {when(promise.due_at)}"


def _case_blocks(snapshot: HomeSnapshot) -> list[Block]:
    if not snapshot.cases_total:
        return [_section(f"*:briefcase: Your open cases*\nNone. Start one with {USAGE['open']}.")]
    lines = [f"*:briefcase: Your open cases ({snapshot.cases_total})*"]
    lines += [_case_line(c, snapshot.now) for c in snapshot.cases]
    return _sections(lines) + _more(snapshot.cases_total - len(snapshot.cases), "`/case list`")


def _case_line(item: CaseWithNext, now: datetime) -> str:
    case, promise = item.case, item.next_promise
    line = f"• *{case.ref}* · {clip(customer_of(case), 60)} · {clip(safe(case.summary), 80)}"
    if case.priority in PRIORITY:
        line += f" · {PRIORITY[case.priority]}"
    if promise is None:
        return line + "\n      _no open promise_"
    late = " · *overdue*" if promise.due_at < now else ""
    return line + f"\n      next: “{clip(safe(promise.description), 80)}” due {when(promise.due_at)}{late}"


def _team_blocks(team: TeamView, now: datetime) -> list[Block]:
    people_count = len(team.members)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text="Your team")),
        _section(
            f"*:bar_chart: Kept promises* · {people_count}"
            f" {'person reports' if people_count == 1 else 'people report'} to you, directly or not\n"
            + "\n".join(insights.describe(label, counts) for label, counts in team.kept)
        ),
    ]
    title = "*:rotating_light: Overdue on your team*"
    if not team.overdue_total:
        return blocks + [_section(f"{title}\nNothing overdue.")]
    lines = [f"{title} ({team.overdue_total})"] + [_team_line(d, now) for d in team.overdue]
    return (
        blocks
        + _sections(lines)
        + _more(team.overdue_total - len(team.overdue), "the longest overdue are shown")
    )


def _team_line(due: DuePromise, now: datetime) -> str:
    promise, case = due.promise, due.case
    return (
        f"• <@{promise.owner_id}> · *{case.ref}* {clip(customer_of(case), 60)}"
        f" · “{clip(safe(promise.description), 100)}” · *{duration(now - promise.due_at)} late*"
        f" (due {when(promise.due_at)})"
    )


# ---- staying inside Block Kit's limits ----------------------------------------------------------


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_TEXT_LIMIT)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, SECTION_TEXT_LIMIT))])


def _sections(lines: list[str]) -> list[Block]:
    """Lines packed into as few sections as fit 3000 characters each; a line is never split,
    so a `<!date…>` token is never cut in half."""
    blocks: list[Block] = []
    chunk: list[str] = []
    size = 0
    for line in lines:
        line = clip(line, SECTION_TEXT_LIMIT)
        if chunk and size + 1 + len(line) > SECTION_TEXT_LIMIT:
            blocks.append(_section("\n".join(chunk)))
            chunk, size = [], 0
        size += len(line) + (1 if chunk else 0)
        chunk.append(line)
    if chunk:
        blocks.append(_section("\n".join(chunk)))
    return blocks


def _more(hidden: int, where: str) -> list[Block]:
    """A cut list says so, never silently."""
    return [_context(f"…and {hidden} more — {where}")] if hidden > 0 else []


def _fit(blocks: list[Block]) -> list[Block]:
    """The lists are capped well below 100 blocks; this is the guarantee if that ever changes."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return blocks[: MAX_BLOCKS - 1] + [_context("…and more than fits here — `/case list`")]
