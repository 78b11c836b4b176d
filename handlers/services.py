"""What every handler and job needs, built once by bot.app.build_services."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.app.settings import Settings
from bot.app.workspaces import SlackClients
from bot.clock import Clock
from bot.delivery.dispatcher import Dispatcher
from storage.db import Database

log = logging.getLogger(__name__)


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
    # Where a listener's work after its ack goes (bot.app.build_app sets it). Apart from the
    # listener threads, so the acks of new requests never queue behind earlier requests' work.
    after_ack: Executor | None = None

    def run_after_ack(self, work: Callable[[], None], what: str) -> None:
        """`work` on the after-ack pool (here and now without one). It must not raise; if it
        does anyway, the log says so rather than a future nobody reads."""

        def logged() -> None:
            try:
                work()
            except Exception:
                log.exception("after_ack.failed what=%s", what)

        if self.after_ack is None:
            logged()
        else:
            self.after_ack.submit(logged)

    def client_for(self, team_id: str) -> WebClient:
        """The interactive client that speaks for this workspace, in a request or not."""
        return self.clients.interactive(team_id)
