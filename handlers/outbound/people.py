"""Who people are, as Slack knows them: their time zone (the flows' Directory, cached in the
database) and, for a manager deciding on an escalation, the owner's local time and status.

users.info is asked at most once a day per person for the zone; when Slack can't answer, the
last known zone is used, and with none at all, UTC (the confirmation echoes the time, so a
wrong zone shows at once)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import Clock
from handlers.outbound.clients import SlackClients
from storage import queries
from storage.db import Database
from storage.models import Person

log = logging.getLogger(__name__)

TZ_FRESH_FOR = timedelta(hours=24)


class SlackDirectory:
    """The flows' Directory (bot/flows/context.py), asking Slack through `clients`."""

    def __init__(self, clients: SlackClients, db: Database, clock: Clock):
        self.clients = clients
        self.db = db
        self.clock = clock

    def time_zone(self, team_id: str, user_id: str) -> str:
        return time_zone(self.clients.interactive(team_id), self.db, self.clock, team_id, user_id)


def time_zone(client: WebClient, db: Database, clock: Clock, team_id: str, user_id: str) -> str:
    now = clock.now()
    with db.transaction() as session:
        known = queries.person(session, team_id, user_id)
        if known is not None and now - known.fetched_at < TZ_FRESH_FOR:
            return known.tz
        cached = known.tz if known is not None else None
    try:
        tz = client.users_info(user=user_id)["user"].get("tz") or "UTC"
    except (SlackApiError, OSError) as error:
        log.warning("people.tz_lookup_failed user=%s error=%s", user_id, error)
        return cached or "UTC"
    with db.transaction() as session:
        person = queries.person(session, team_id, user_id)
        if person is None:
            session.add(Person(team_id=team_id, user_id=user_id, tz=tz, fetched_at=now))
        else:
            person.tz = tz
            person.fetched_at = now
    return tz


def local_time_and_status(client: WebClient, user_id: str, now: datetime) -> tuple[str | None, str | None]:
    """What a manager deciding about an escalation wants to know of the owner: is it the middle
    of their night, are they on holiday. Asked fresh (statuses change); None when Slack can't say."""
    try:
        user = client.users_info(user=user_id)["user"]
    except (SlackApiError, OSError) as error:
        log.warning("people.status_lookup_failed user=%s error=%s", user_id, error)
        return None, None
    local = None
    tz = user.get("tz")
    if tz:
        try:
            local = f"{now.astimezone(ZoneInfo(tz)):%H:%M} ({tz})"
        except (ZoneInfoNotFoundError, ValueError):
            local = None
    profile = user.get("profile") or {}
    status = " ".join(p for p in (profile.get("status_emoji"), profile.get("status_text")) if p) or None
    return local, status
