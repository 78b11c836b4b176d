"""Who people are, as Slack knows them: their time zone (the flows' Directory, cached in the
database) and, for a manager deciding on an escalation, the owner's local time and status. The
Directory's other half, the channels cases are in, is handlers/outbound/channels.py.

users.info is asked at most once a day per person for the zone; when Slack can't answer, the
last known zone is used, and with none at all, UTC (the confirmation echoes the time, so a
wrong zone shows at once)."""

from __future__ import annotations

import logging
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import team
from bot.clock import Clock
from bot.team import Profile
from handlers.clients import SlackClients
from handlers.outbound.channels import SlackChannels
from storage.db import Database

log = logging.getLogger(__name__)

# A dashboard page naming many people not seen before asks Slack about this many at most (the
# rest are named on a later page); users.info is Tier 4 (100+ a minute).
LOOKUPS_AT_ONCE = 40
LOOKUP_THREADS = 4


class SlackDirectory(SlackChannels):
    """The flows' Directory (bot/flows/context.py), asking Slack through `clients`."""

    def __init__(self, clients: SlackClients, db: Database, clock: Clock):
        super().__init__(clients, db, clock)

    def time_zone(self, team_id: str, user_id: str) -> str:
        """Their Slack time zone: asked at most once a day, the last known one when Slack
        can't answer, UTC when nothing is known."""
        now = self.clock.now()
        with self.db.transaction() as session:
            fresh, known = team.known_time_zone(session, team_id, user_id, now)
        if fresh:
            assert known is not None
            return known
        looked_up = self._look_up(team_id, user_id, now)
        if looked_up is None:
            return known or "UTC"
        return looked_up.tz or "UTC"

    def profiles(self, team_id: str, user_ids: Collection[str]) -> dict[str, Profile]:
        """Name, picture and zone of each: from the cache, asking Slack (a few at a time, at most
        LOOKUPS_AT_ONCE people per call) about those never asked or asked over a day ago."""
        now = self.clock.now()
        with self.db.transaction() as session:
            profiles, stale = team.known_profiles(session, team_id, user_ids, now)
        ask = sorted(stale)[:LOOKUPS_AT_ONCE]
        if ask:
            with ThreadPoolExecutor(max_workers=min(LOOKUP_THREADS, len(ask))) as pool:
                for user_id, found in zip(
                    ask, pool.map(lambda u: self._look_up(team_id, u, now), ask), strict=True
                ):
                    if found is not None:
                        profiles[user_id] = found
        return {user_id: profiles.get(user_id) or Profile(user_id, None, None, None) for user_id in user_ids}

    def _look_up(self, team_id: str, user_id: str, now: datetime) -> Profile | None:
        """users.info, remembered; None when Slack can't answer."""
        try:
            user = self.clients.interactive(team_id).users_info(user=user_id)["user"]
        except (SlackApiError, OSError) as error:
            log.warning("people.lookup_failed user=%s error=%s", user_id, error)
            return None
        profile = user.get("profile") or {}
        # As Slack shows them: the display name they chose, else their full name.
        name = profile.get("display_name") or user.get("real_name") or user.get("name")
        avatar = profile.get("image_72") or profile.get("image_48") or profile.get("image_192")
        tz = user.get("tz") or "UTC"
        with self.db.transaction() as session:
            team.remember_time_zone(session, team_id, user_id, tz, now, name=name, avatar_url=avatar)
        return Profile(user_id, name or None, avatar or None, tz)


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
