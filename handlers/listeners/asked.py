"""Who asked for a `/case` subcommand, and where: what every subcommand needs besides its own
words (handlers/listeners/commands.py)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bot.flows.context import Once
from handlers.services import Services

log = logging.getLogger(__name__)


def in_private_channel(command: dict[str, Any]) -> bool:
    """What a slash command says of where it was typed: `channel_name` is "privategroup" in a
    private channel, "directmessage" in a DM and "mpdm-…" in a group DM (the ids alone can't
    tell: private channels have had C ids too since 2021). When it says nothing, the open flow
    asks Slack (conversations.info)."""
    name = str(command.get("channel_name") or "")
    return name in ("privategroup", "directmessage") or name.startswith("mpdm-")


class Asked:
    """Who asked, where: what every subcommand needs besides its own words."""

    def __init__(
        self,
        services: Services,
        command: dict[str, Any],
        *,
        once: Once | None = None,
        client: Any = None,
        headers: Mapping[str, Sequence[str]] | None = None,
    ):
        self.services = services
        # The request's HTTP headers: where Slack reached us (handlers/views/dashboard_link.py).
        self.headers = headers or {}
        self.team_id: str = command["team_id"]
        self.actor_id: str = command["user_id"]
        self.channel_id: str = command["channel_id"]
        self.private_channel = in_private_channel(command)
        # What makes this the same command again (REPEATS), if anything does.
        self.once = once
        # For opening a form: the Web API client and the command's trigger_id (3 seconds).
        self.client = client
        self.trigger_id: str | None = command.get("trigger_id")

    def open_form(self, view: Any) -> bool:
        """Open a modal for the person; False when Slack wouldn't (the trigger_id expired)."""
        try:
            self.client.views_open(trigger_id=self.trigger_id, view=view)
        except Exception:
            log.warning("command.form_not_opened", exc_info=True)
            return False
        return True
