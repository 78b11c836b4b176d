"""Slack Web API clients per workspace, configured like the deployment's (base_url, timeout,
retry policy), built once per bot token and reused."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from slack_sdk import WebClient


class Tokens(Protocol):
    """Which bot token speaks for a workspace (bot/app/workspaces.py): None when the app is not
    installed there (any more)."""

    def bot_token(self, team_id: str) -> str | None: ...

    def forget(self, team_id: str) -> None: ...


class SlackClients:
    """WebClients per bot token, each configured like the deployment's (base_url, timeout,
    retry policy), built once and reused."""

    def __init__(
        self,
        tokens: Tokens,
        *,
        interactive: Callable[[str | None], WebClient],
        notification: Callable[[str | None], WebClient],
    ):
        self.tokens = tokens
        self._factories = {"interactive": interactive, "notification": notification}
        self._clients: dict[tuple[str, str | None], WebClient] = {}
        self._lock = threading.Lock()

    def interactive(self, team_id: str) -> WebClient:
        """For calls made while someone waits; with no installation its calls fail not_authed,
        which callers already treat as Slack being unable to answer."""
        return self._client("interactive", self.tokens.bot_token(team_id))

    def notification(self, team_id: str) -> WebClient | None:
        """For outbox messages; None when the workspace has no installation (any more)."""
        token = self.tokens.bot_token(team_id)
        return self._client("notification", token) if token else None

    def _client(self, kind: str, token: str | None) -> WebClient:
        with self._lock:
            client = self._clients.get((kind, token))
            if client is None:
                client = self._clients[(kind, token)] = self._factories[kind](token)
            return client
