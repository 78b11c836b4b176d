"""What every listener and the Slack sender work with, built once by the composition root
(bot/app/build.py): the flows' context, plus the Slack clients and the pool that does a
request's work after its ack."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from slack_sdk import WebClient

from bot.flows.context import Context
from handlers.clients import SlackClients
from handlers.pools import BoundedPool

log = logging.getLogger(__name__)


class Lane(Protocol):
    """Where recorded events are handled (handlers/listeners/event_lane.py EventFeed), as a
    graceful stop and the tests see it."""

    def wait_idle(self, timeout: float) -> bool: ...

    def stop(self, timeout: float) -> None: ...


@dataclass
class Services(Context):
    clients: SlackClients
    # Where a request's work after its ack goes, and where events are handled in a process that
    # handles them (both set by bot/app/build.py). Apart from Bolt's listener threads, so the
    # ack of a new command never waits behind earlier work; both bounded, so a flood can't grow
    # memory.
    after_ack: BoundedPool | None = None
    events: Lane | None = None
    # Where browsers reach this server (PUBLIC_URL), for the dashboard's links; None: the address
    # Slack's own requests came to (handlers/views/dashboard_link.py).
    public_url: str | None = None

    def run_after_ack(self, work: Callable[[], None], what: str, *, urgent: bool = False) -> bool:
        """`work` on the after-ack pool (here and now without one); `urgent` goes first (a
        modal to open, whose trigger lives 3 seconds). False when the pool is full: nothing
        was queued, and the person should hear that they can try again."""

        def logged() -> None:
            try:
                work()
            except Exception:
                log.exception("after_ack.failed what=%s", what)

        if self.after_ack is None:
            logged()
            return True
        return self.after_ack.submit(logged, urgent=urgent)

    def wait_idle(self, timeout: float) -> bool:
        """True once no work after an ack and no event is queued or running."""
        deadline = time.monotonic() + timeout
        lanes = [lane for lane in (self.after_ack, self.events) if lane is not None]
        # An event's work never queues work after an ack, nor the reverse: one pass suffices.
        return all(lane.wait_idle(max(0.0, deadline - time.monotonic())) for lane in lanes)

    def stop_lanes(self, timeout: float) -> None:
        """A graceful stop: the events being handled finish (those queued stay in the inbox for
        later), then the work after acks already taken (people are waiting for its answer)."""
        deadline = time.monotonic() + timeout
        if self.events is not None:
            self.events.stop(max(0.0, deadline - time.monotonic()))
        if self.after_ack is not None:
            self.after_ack.shutdown(wait=True, timeout=max(0.0, deadline - time.monotonic()))

    def client_for(self, team_id: str) -> WebClient:
        """The interactive client that speaks for this workspace, in a request or not."""
        return self.clients.interactive(team_id)
