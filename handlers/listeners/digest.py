"""The weekly digest, Slack side: `/case digest …`, the housekeeping job that puts due digests
in the outbox (asking Slack for a manager's time zone when we have none), and the DM itself,
which is the manager's `/case report` for the week before the digest's moment."""

from __future__ import annotations

import logging
from datetime import datetime

from bot import digests, reports
from bot.app.settings import Settings
from handlers.outbound import people
from handlers.services import Services
from handlers.views import report as report_view
from handlers.views.blocks import Message
from storage import queries
from storage.db import Database
from storage.outbox import Claim

log = logging.getLogger(__name__)


def setting(services: Services, *, team_id: str, actor_id: str, schedule: str | None) -> Message:
    """`/case digest` (schedule None: show it), `… default`, `… off`, `… fri 16:30`."""
    default = services.settings.digest_schedule
    default_text = str(default) if default is not None else None
    if schedule is None:
        with services.db.transaction() as session:
            person = queries.person(session, team_id, actor_id)
            own = person.digest_schedule if person is not None else None
            manages = len(reports.team_of_manager(session, team_id, actor_id))
        current = digests.schedule_of(own, default)
        return report_view.digest_is(str(current) if current else None, own=own is not None, manages=manages)
    stored = None if schedule == "default" else schedule
    with services.db.transaction() as session:
        digests.set_schedule(
            session, team_id=team_id, user_id=actor_id, schedule=stored, now=services.clock.now()
        )
    if stored is None:
        return report_view.digest_set(default_text, own=False)
    return report_view.digest_set(None if stored == digests.OFF else stored, own=True)


def enqueue_due(services: Services) -> int:
    """Housekeeping: the digests that fell due, once each. Returns how many were enqueued."""
    now = services.clock.now()
    default = services.settings.digest_schedule
    with services.db.transaction() as session:
        managers = digests.managers(session)
    wanted: list[tuple[digests.Manager, datetime, str]] = []
    for manager in managers:
        schedule = digests.schedule_of(manager.own_schedule, default)
        if schedule is None:
            continue
        # Slack is asked (outside any transaction) only for a manager whose zone we never had.
        tz = manager.tz or people.time_zone(
            services.client_for(manager.team_id),
            services.db,
            services.clock,
            manager.team_id,
            manager.manager_id,
        )
        occurrence = digests.due(manager, schedule, tz, now)
        if occurrence is not None:
            wanted.append((manager, occurrence, tz))
    if not wanted:
        return 0
    with services.db.transaction() as session:
        made = digests.enqueue(session, wanted, now)
    for key in made:
        log.info("digest.enqueued key=%s", key)
    if made:
        services.dispatcher.wake()
    return len(made)


def compose(db: Database, settings: Settings, claim: Claim, now: datetime) -> Message | None:
    """The DM for one DIGEST row: the manager's team report for the week before its moment, as
    of now. None when they manage nobody any more."""
    manager = claim.recipient
    occurrence = datetime.fromisoformat(claim.payload["occurrence"])
    with db.transaction() as session:
        team = reports.team_of_manager(session, claim.team_id, manager)
        if not team:
            return None
        report = reports.build(
            session,
            team_id=claim.team_id,
            since=occurrence - digests.WINDOW,
            until=occurrence,
            now=now,
            stale_age=settings.stale_case_age,
            agents=team | {manager},
        )
    return report_view.report_message(report, viewer=manager, title="Your weekly digest")
