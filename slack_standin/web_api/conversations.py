"""Channels and people: the channels and users a test configures, conversations.* and
users.info."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_standin.records import dm_id, ts_micros
from slack_standin.web_api.http import truthy
from slack_standin.web_api.state import ApiError, Channel, StandinState, User


class ConversationsMixin(StandinState):
    """conversations.open, .join, .history, .replies and users.info, part of FakeSlackAPI."""

    # ---- configuration ---------------------------------------------------------------------

    def set_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        tz: str | None = None,
        email: str | None = None,
        is_bot: bool = False,
        status_text: str = "",
        status_emoji: str = "",
    ) -> None:
        tz = tz or self.default_tz
        ZoneInfo(tz)  # a typo in a test's zone should fail here, loudly
        name = name or user_id.lower()
        with self._lock:
            self._users[user_id] = User(
                user_id, name, real_name or name.title(), tz, email, is_bot, status_text, status_emoji
            )

    def set_channel(
        self,
        channel_id: str,
        *,
        member: bool = True,
        exists: bool = True,
        name: str | None = None,
        private: bool = False,
        members: list[str] | None = None,
    ) -> None:
        """`member`: the bot is in it. `members`: the people in it (conversations.members)."""
        with self._lock:
            self._channels[channel_id] = Channel(
                exists=exists, member=member, name=name, private=private, members=members
            )

    def set_members(self, channel_id: str, members: list[str]) -> None:
        """Who is in the channel from now on (Slack tells the app with member_joined_channel /
        member_left_channel events: SlackEventsClient.member_joined / member_left)."""
        with self._lock:
            self._channels.setdefault(channel_id, Channel()).members = list(members)

    def make_private(self, channel_id: str) -> None:
        with self._lock:
            self._channels.setdefault(channel_id, Channel()).private = True

    def is_private(self, channel_id: str) -> bool:
        with self._lock:
            state = self._channels.get(channel_id)
            return state is not None and state.private

    def is_member(self, channel_id: str) -> bool:
        with self._lock:
            state = self._channels.get(channel_id)
            return state is None or (state.exists and state.member)

    def channel_name(self, channel_id: str) -> str:
        """As a slash command's channel_name says it: "privategroup" for a private channel."""
        with self._lock:
            state = self._channels.get(channel_id)
        if state is not None and state.private:
            return "privategroup"
        if state is not None and state.name:
            return state.name
        return "directmessage" if channel_id.startswith("D") else channel_id.lower()

    def user_name(self, user_id: str) -> str:
        with self._lock:
            user = self._users.get(user_id)
        return user.name if user else user_id.lower()

    # ---- methods (called with the lock held) -----------------------------------------------

    def _m_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user") or "")
        if not user_id.startswith(("U", "W")):
            raise ApiError("user_not_found")
        user = self._users.get(user_id) or User(
            user_id, user_id.lower(), user_id.lower().title(), self.default_tz
        )
        zone = ZoneInfo(user.tz)
        now = datetime.now(zone)
        offset = now.utcoffset()
        team_id = self.team_of(self._caller_token) or self.team_id
        return {
            "user": {
                "id": user.id,
                "team_id": team_id,
                "name": user.name,
                "deleted": False,
                "real_name": user.real_name,
                "tz": user.tz,
                "tz_label": now.tzname() or user.tz,
                "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
                "is_bot": user.is_bot,
                "is_admin": False,
                "is_app_user": False,
                "profile": {
                    "real_name": user.real_name,
                    "real_name_normalized": user.real_name,
                    "display_name": user.name,
                    "display_name_normalized": user.name,
                    "email": user.email or f"{user.name}@example.com",
                    "team": self.team_id,
                    "status_text": user.status_text,
                    "status_emoji": user.status_emoji,
                },
            }
        }

    def _m_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            return {"channel": {"id": str(params["channel"])}}
        users = params.get("users")
        if isinstance(users, str):
            users = [u.strip() for u in users.split(",") if u.strip()]
        if not users:
            raise ApiError("users_list_not_supplied")
        for user in users:
            if not str(user).startswith(("U", "W")):
                raise ApiError("user_not_found")
        if len(users) == 1:
            return {"channel": {"id": dm_id(users[0]), "is_im": True, "user": users[0]}}
        digest = hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:10].upper()
        return {"channel": {"id": "G" + digest, "is_mpim": True}}

    def _m_conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        if not channel:
            raise ApiError("channel_not_found")
        if channel.startswith(("D", "G", "U")):
            raise ApiError("method_not_supported_for_channel_type")
        state = self._channels.setdefault(channel, Channel())
        if not state.exists:
            raise ApiError("channel_not_found")
        state.member = True
        return {
            "channel": {
                "id": channel,
                "name": state.name or channel.lower(),
                "is_channel": True,
                "is_member": True,
            }
        }

    def _m_conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        state = self._channels.get(channel, Channel())
        if not channel or not state.exists or (state.private and not state.member):
            # A private channel the bot isn't in is as good as not there.
            raise ApiError("channel_not_found")
        is_im = channel.startswith("D")
        return {
            "channel": {
                "id": channel,
                "name": state.name or channel.lower(),
                "is_channel": not is_im and not state.private,
                "is_group": state.private,
                "is_im": is_im,
                "is_mpim": False,
                "is_private": state.private or is_im,
                "is_member": state.member,
            }
        }

    def _m_conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        state = self._channels.get(channel, Channel())
        if not channel or not state.exists or (state.private and not state.member):
            raise ApiError("channel_not_found")
        everyone = state.members if state.members is not None else sorted(self._users)
        start = int(params.get("cursor") or 0)
        end = start + max(1, min(int(params.get("limit") or 100), 1000))
        return {
            "members": everyone[start:end],
            "response_metadata": {"next_cursor": str(end) if end < len(everyone) else ""},
        }

    def _readable_channel(self, params: dict[str, Any]) -> str:
        channel = self._resolve_channel(params.get("channel"))
        self._require_member(channel)
        return channel

    def _m_conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._readable_channel(params)
        include_metadata = truthy(params.get("include_all_metadata", False))
        selected = [
            m
            for m in self._messages
            if m.channel == channel and (not m.is_reply or m.reply_broadcast) and _in_window(m.ts, params)
        ]
        selected.reverse()  # newest first, as Slack returns history
        selected = selected[: _limit(params)]
        return {
            "messages": [self._message_dict(m, include_metadata=include_metadata) for m in selected],
            "has_more": False,
            "pin_count": 0,
            "response_metadata": {"next_cursor": ""},
        }

    def _m_conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._readable_channel(params)
        ts = str(params.get("ts") or "")
        if not ts:
            raise ApiError("thread_not_found")
        include_metadata = truthy(params.get("include_all_metadata", False))
        # Slack always puts the parent first, whatever oldest/latest say.
        parent = self._find_message(channel, ts)
        replies = [
            m
            for m in self._messages
            if m.channel == channel and m.is_reply and m.thread_ts == ts and _in_window(m.ts, params)
        ]
        found = ([parent] if parent else []) + replies
        found = found[: _limit(params)]
        return {
            "messages": [self._message_dict(m, include_metadata=include_metadata) for m in found],
            "has_more": False,
            "response_metadata": {"next_cursor": ""},
        }


def _in_window(ts: str, params: dict[str, Any]) -> bool:
    """Slack's oldest/latest bounds: exclusive unless inclusive=true."""
    value = ts_micros(ts)
    if value is None:
        return False
    inclusive = truthy(params.get("inclusive", False))
    oldest = ts_micros(params.get("oldest"))
    latest = ts_micros(params.get("latest"))
    if oldest is not None and (value < oldest or (value == oldest and not inclusive)):
        return False
    return not (latest is not None and (value > latest or (value == latest and not inclusive)))


def _limit(params: dict[str, Any]) -> int:
    try:
        limit = int(params.get("limit") or 100)
    except (TypeError, ValueError):
        limit = 100
    return max(1, min(limit, 1000))
