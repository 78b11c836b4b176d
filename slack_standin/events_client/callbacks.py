"""Events API callbacks: people's messages in threads, their edits and deletions, another bot's
message, the Home tab opened, and the URL verification handshake."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from slack_standin.events_client.interactions import view_with_state
from slack_standin.events_client.wire import Reply
from slack_standin.records import dm_id

if TYPE_CHECKING:
    from slack_standin.web_api.server import FakeSlackAPI


class EventCallbacksMixin:
    """Event callbacks, part of SlackEventsClient."""

    VERIFICATION_TOKEN: str
    APP_ID: str
    team_id: str
    api: FakeSlackAPI | None
    last_event_id: str | None
    last_ts: str | None

    # ---- events ----------------------------------------------------------------------------

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        event_time: int | None = None,
    ) -> Reply:
        event_id = event_id or f"Ev{uuid.uuid4().hex[:10].upper()}"
        self.last_event_id = event_id
        envelope = {
            "token": self.VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "api_app_id": self.APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(self.timestamp_func()) if event_time is None else event_time,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.api.bot_user_id if self.api is not None else "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            # Deprecated by Slack, still required by its published envelope schema.
            "authed_users": [self.api.bot_user_id if self.api is not None else "UBOT"],
            "is_ext_shared_channel": False,
            "event_context": f"4-{uuid.uuid4().hex}",
        }
        return self._send_event(envelope, retry_num)

    def _send_event(self, envelope: dict[str, Any], retry_num: int | None) -> Reply:
        headers: dict[str, str | None] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return self.post(json.dumps(envelope).encode("utf-8"), "application/json", headers=headers)

    def thread_reply(
        self,
        text: str,
        *,
        thread_ts: str,
        user: str = "UAGENT",
        channel: str = "C1",
        ts: str | None = None,
        subtype: str | None = None,
        event_id: str | None = None,
        retry_num: int | None = None,
    ) -> Reply:
        ts = ts or self.next_ts()
        self.last_ts = ts
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": ts,
            "thread_ts": thread_ts,
            "channel_type": self._channel_type(channel),
            "event_ts": ts,
            "team": self.team_id,
            "client_msg_id": str(uuid.uuid4()),
        }
        if subtype:
            event["subtype"] = subtype
        return self.event(event, event_id=event_id, retry_num=retry_num)

    def direct_message(
        self, text: str, *, user: str = "UAGENT", thread_ts: str | None = None, ts: str | None = None
    ) -> Reply:
        """message.im: `user` writes to the bot in its DM (the app's Messages tab), or in the
        thread of one of the bot's messages there (a reminder), as Slack delivers it."""
        ts = ts or self.next_ts()
        self.last_ts = ts
        event: dict[str, Any] = {
            "type": "message",
            "channel": dm_id(user),
            "user": user,
            "text": text,
            "ts": ts,
            "channel_type": "im",
            "event_ts": ts,
            "team": self.team_id,
            "client_msg_id": str(uuid.uuid4()),
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event)

    def edit_reply(
        self,
        *,
        channel: str,
        ts: str,
        thread_ts: str,
        new_text: str,
        user: str = "UAGENT",
        old_text: str = "",
    ) -> Reply:
        event_ts = self.next_ts()
        event = {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "channel": channel,
            "ts": event_ts,
            "event_ts": event_ts,
            "channel_type": self._channel_type(channel),
            "message": {
                "type": "message",
                "user": user,
                "text": new_text,
                "ts": ts,
                "thread_ts": thread_ts,
                "edited": {"user": user, "ts": event_ts},
                "team": self.team_id,
            },
            "previous_message": {
                "type": "message",
                "user": user,
                "text": old_text,
                "ts": ts,
                "thread_ts": thread_ts,
            },
        }
        return self.event(event)

    def delete_reply(
        self, *, channel: str, ts: str, thread_ts: str, user: str = "UAGENT", old_text: str = ""
    ) -> Reply:
        event_ts = self.next_ts()
        event = {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "channel": channel,
            "ts": event_ts,
            "event_ts": event_ts,
            "deleted_ts": ts,
            "channel_type": self._channel_type(channel),
            "previous_message": {
                "type": "message",
                "user": user,
                "text": old_text,
                "ts": ts,
                "thread_ts": thread_ts,
            },
        }
        return self.event(event)

    def bot_reply(self, text: str, *, thread_ts: str, channel: str = "C1", bot_id: str = "BOTHER") -> Reply:
        ts = self.next_ts()
        self.last_ts = ts
        event = {
            "type": "message",
            "subtype": "bot_message",
            "text": text,
            "ts": ts,
            "thread_ts": thread_ts,
            "bot_id": bot_id,
            "username": "other-bot",
            "channel": channel,
            "channel_type": self._channel_type(channel),
            "event_ts": ts,
        }
        return self.event(event)

    def _channel_type(self, channel: str) -> str:
        """A message event's channel_type: "group" for a private channel."""
        return _channel_type(channel, self.api is not None and self.api.is_private(channel))

    def member_joined(self, channel: str, user: str) -> Reply:
        """member_joined_channel, after the stand-in was told (FakeSlackAPI.set_members)."""
        return self._membership("member_joined_channel", channel, user)

    def member_left(self, channel: str, user: str) -> Reply:
        return self._membership("member_left_channel", channel, user)

    def _membership(self, kind: str, channel: str, user: str) -> Reply:
        private = self.api is not None and self.api.is_private(channel)
        event = {
            "type": kind,
            "user": user,
            "channel": channel,
            "channel_type": "G" if private else "C",
            "team": self.team_id,
            "event_ts": self.next_ts(),
        }
        return self.event(event)

    def channel_made_private(self, channel: str, user: str = "UADMIN") -> Reply:
        """The message Slack posts when a channel is made private (message subtype
        channel_convert_to_private), after the stand-in was told (FakeSlackAPI.make_private)."""
        ts = self.next_ts()
        event = {
            "type": "message",
            "subtype": "channel_convert_to_private",
            "user": user,
            "text": "made this channel *private*. Now, it can only be viewed or joined by invitation.",
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
            "channel_type": "group",
        }
        return self.event(event)

    def home_opened(self, user: str, tab: str = "home") -> Reply:
        """app_home_opened: `user` opened the app's Home (or Messages) tab. As in Slack, the
        event carries the Home view once one was published for them."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user,
            "channel": dm_id(user),
            "tab": tab,
            "event_ts": self.next_ts(),
        }
        home = self.api.home_of(user) if self.api is not None else None
        if home is not None and tab == "home":
            event["view"] = view_with_state(home)
        return self.event(event)

    def url_verification(self, challenge: str) -> Reply:
        body = {"token": self.VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return self.post(json.dumps(body).encode("utf-8"), "application/json")


def _channel_type(channel: str, private: bool = False) -> str:
    if channel.startswith("D"):
        return "im"
    if private or channel.startswith("G"):
        return "group"
    return "channel"
