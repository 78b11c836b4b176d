"""What every listener and the Slack sender work with, built once by the composition root
(bot/app/build.py): the flows' context, plus the Slack clients and the pool that does a
request's work after its ack."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.flows.context import Context
from handlers.clients import SlackClients

log = logging.getLogger(__name__)


@dataclass
class Services(Context):
    clients: SlackClients
    # Several workspaces, each installing through Slack's OAuth flow (bot/app/workspaces.py).
    oauth: bool = False
    # Where a listener's work after its ack goes (bot/app/build.py sets it). Apart from the
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
