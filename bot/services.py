"""What every handler and job needs, built once by bot.app.build_services."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.clock import Clock
from bot.dispatcher import Dispatcher
from bot.settings import Settings
from bot.workspaces import SlackClients
from storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    # For interactive calls (users.info, responses): retries on rate limits and 5xx. With
    # OAuth it has no token: use client_for(team_id), or Bolt's request `client`.
    client: WebClient
    dispatcher: Dispatcher
    clients: SlackClients

    def client_for(self, team_id: str) -> WebClient:
        """The interactive client that speaks for this workspace, in a request or not."""
        return self.clients.interactive(team_id)
