"""Who people are, as far as the domain needs: their Slack time zone, cached in the database.

users.info is asked at most once a day per person; when Slack can't answer, the last known
zone is used, and with none at all, UTC (the confirmation echoes the time, so a wrong zone
shows at once)."""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import Clock
from storage import queries
from storage.db import Database
from storage.models import Person

log = logging.getLogger(__name__)

TZ_FRESH_FOR = timedelta(hours=24)


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
