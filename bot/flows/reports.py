"""Reports, intent by intent: someone's `/case report`, the weekly digests that fell due, and
the App Home's snapshot."""

from __future__ import annotations

import logging
from datetime import datetime

from bot import digests, insights, moments, reports, team
from bot.errors import CaseError
from bot.flows.context import Context
from bot.insights import HomeSnapshot
from bot.reports import Report

log = logging.getLogger(__name__)


def report_for(ctx: Context, *, team_id: str, viewer_id: str, period: str) -> tuple[Report, str]:
    """The viewer's report over the window `period` says ("7d", "2 weeks", "since monday", read
    on their own clock and working hours: bot/moments.py), and how the window reads: an admin
    sees the workspace, a manager their team and themselves, anyone else their own
    (bot/reports.audience)."""
    now = ctx.clock.now()
    tz = ctx.directory.time_zone(team_id, viewer_id)
    with ctx.reading() as session:
        hours = team.working_hours_of(session, team_id, viewer_id, ctx.policy.working_hours)
    try:
        window = moments.parse_window(period, now, tz=tz, hours=hours)
    except moments.MomentError as error:
        raise CaseError(f"`/case report` looks back over a window: {error}.") from None
    with ctx.reading() as session:
        agents = reports.audience(session, team_id, viewer_id, ctx.policy.admins.of(team_id))
        return reports.build(
            session,
            team_id=team_id,
            since=window.since,
            until=now,
            now=now,
            stale_age=ctx.policy.stale_case_age,
            agents=agents,
        ), window.label


def enqueue_due_digests(ctx: Context) -> int:
    """Housekeeping: the digests that fell due go into the outbox, once each (unique key).
    Returns how many were enqueued."""
    now = ctx.clock.now()
    default = ctx.policy.digest_schedule
    with ctx.reading() as session:
        managers = digests.managers(session)
    wanted: list[tuple[digests.Manager, datetime, str]] = []
    for manager in managers:
        schedule = digests.schedule_of(manager.own_schedule, default)
        if schedule is None:
            continue
        # Slack is asked (outside any transaction) only for a manager whose zone we never had.
        tz = manager.tz or ctx.directory.time_zone(manager.team_id, manager.manager_id)
        occurrence = digests.due(manager, schedule, tz, now)
        if occurrence is not None:
            wanted.append((manager, occurrence, tz))
    if not wanted:
        return 0
    with ctx.unit() as unit:
        made = digests.enqueue(unit.session, wanted, now)
        if made:
            unit.wake()
    for key in made:
        log.info("digest.enqueued key=%s", key)
    return len(made)


def home(ctx: Context, *, team_id: str, user_id: str) -> HomeSnapshot:
    """What someone's App Home shows, on their own clock."""
    tz = ctx.directory.time_zone(team_id, user_id)
    with ctx.reading() as session:
        return insights.home_snapshot(session, team_id, user_id, ctx.clock.now(), tz)
