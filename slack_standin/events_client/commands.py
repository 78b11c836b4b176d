"""Slash commands, as Slack sends them."""

from __future__ import annotations

import time
import urllib.parse
import uuid
from typing import TYPE_CHECKING

from slack_standin.events_client.wire import Reply

if TYPE_CHECKING:
    from slack_standin.web_api.server import FakeSlackAPI


class CommandsMixin:
    """Slash commands, part of SlackEventsClient."""

    VERIFICATION_TOKEN: str
    APP_ID: str
    team_id: str
    api: FakeSlackAPI | None

    def command(
        self,
        text: str,
        *,
        user: str = "UAGENT",
        channel: str = "C1",
        command: str = "/case",
        user_name: str | None = None,
    ) -> Reply:
        return self._send_command(
            self.command_form(text, user=user, channel=channel, command=command, user_name=user_name)
        )

    def command_form(
        self,
        text: str,
        *,
        user: str = "UAGENT",
        channel: str = "C1",
        command: str = "/case",
        user_name: str | None = None,
    ) -> dict[str, str]:
        """The fields of a slash command as Slack sends them (form-encode to get the body)."""
        if self.api is not None:
            response_url = self.api.response_url("command", channel=channel, user=user)
            channel_name = self.api.channel_name(channel)
            user_name = user_name or self.api.user_name(user)
            # Registered with the stand-in: its views.open takes it once, within 3 seconds.
            trigger_id = self.api.issue_trigger(user)
        else:
            response_url = "http://127.0.0.1:9/respond"
            channel_name = "directmessage" if channel.startswith("D") else channel.lower()
            user_name = user_name or user.lower()
            trigger_id = f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"
        return {
            "token": self.VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": "casekeeper-test",
            "channel_id": channel,
            "channel_name": channel_name,
            "user_id": user,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": self.APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }

    def _send_command(self, form: dict[str, str]) -> Reply:
        return self.post(urllib.parse.urlencode(form).encode("utf-8"), "application/x-www-form-urlencoded")
