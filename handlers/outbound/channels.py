"""The channels cases are in, as Slack knows them (the flows' Directory, with
handlers/outbound/people.py): private or not (conversations.info), and who is in them
(conversations.members, every page). What Slack said is kept in the database for a while
(bot/channels.py); these calls never run while a request waits for its ack.

Both need the channels:read and groups:read scopes (manifest.yml). An installation made before
they were asked for gets missing_scope: logged, and the last known answer (or none) stands, so
a private case stays readable by its owner, their managers and admins."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot import channels
from bot.clock import Clock
from handlers.clients import SlackClients
from storage.db import Database

log = logging.getLogger(__name__)

# conversations.members answers at most 1,000 a page; a channel of 50,000 is 50 calls.
PAGE = 1000
MAX_PAGES = 50


class SlackChannels:
    def __init__(self, clients: SlackClients, db: Database, clock: Clock):
        self.clients = clients
        self.db = db
        self.clock = clock

    def channel_is_private(self, team_id: str, channel_id: str) -> bool | None:
        now = self.clock.now()
        with self.db.transaction() as session:
            known = channels.known_privacy(session, team_id, channel_id, now)
        if known.fresh:
            return known.private
        try:
            info = self.clients.interactive(team_id).conversations_info(channel=channel_id)["channel"]
        except (SlackApiError, OSError) as error:
            log.warning("channels.info_failed channel=%s error=%s", channel_id, _why(error))
            return known.private
        private = bool(info.get("is_private") or info.get("is_im") or info.get("is_mpim"))
        with self.db.transaction() as session:
            channels.remember_privacy(session, team_id, channel_id, private, now)
        return private

    def channel_members(self, team_id: str, channel_id: str) -> frozenset[str] | None:
        now = self.clock.now()
        with self.db.transaction() as session:
            known = channels.known_members(session, team_id, channel_id, now)
        if known.fresh:
            return known.members
        try:
            members = self._ask_members(team_id, channel_id)
        except (SlackApiError, OSError) as error:
            log.warning("channels.members_failed channel=%s error=%s", channel_id, _why(error))
            return known.members
        with self.db.transaction() as session:
            channels.remember_members(session, team_id, channel_id, members, now)
        return members

    def _ask_members(self, team_id: str, channel_id: str) -> frozenset[str]:
        client = self.clients.interactive(team_id)
        members: set[str] = set()
        cursor = None
        for _ in range(MAX_PAGES):
            page = client.conversations_members(channel=channel_id, limit=PAGE, cursor=cursor)
            members.update(page.get("members") or [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return frozenset(members)


def _why(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error"))
    return type(error).__name__
