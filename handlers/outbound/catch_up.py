"""Sending the catch-up summary: after downtime, everything that came due for one person goes in
one DM (bot/delivery/catch_up.py says which rows; handlers/views/catch_up.py draws it).

Exactly once, as for any message: the summary's metadata lists every notification id it
stands for, and before a re-send the DM is searched for them (handlers/outbound/posting.py)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import notifications
from bot.delivery.outcomes import Outcome, Retry, Sent, Skipped
from handlers.outbound import posting
from handlers.outbound import scene as scenes
from handlers.outbound.posting import Target
from handlers.outbound.sender import SlackSender
from handlers.outbound.slack_errors import classify, unreachable
from handlers.views.catch_up import SummaryItem, summary
from storage.models import NotificationKind
from storage.outbox import Claim

log = logging.getLogger(__name__)

_NEEDS_PROMISE = {
    NotificationKind.REMINDER.value,
    NotificationKind.ESCALATION.value,
    NotificationKind.MANAGER_MISSING.value,
}


class CatchingUpSender(SlackSender):
    """SlackSender that can also send one person's rows as one summary."""

    def deliver_summary(self, claims: list[Claim]) -> dict[int, Outcome]:
        results: dict[int, Outcome] = {}
        items: list[SummaryItem] = []
        for claim in claims:
            try:
                ready = self._ready(claim)
            except Exception:  # it goes on its own, where the usual rules deal with it
                log.warning("catch_up.item_failed id=%s", claim.id, exc_info=True)
                continue
            if isinstance(ready, SummaryItem):
                items.append(ready)
            elif ready is not None:
                results[claim.id] = ready
        if len(items) < 2:
            return results
        client = self.clients.notification(items[0].claim.team_id)
        if client is None:
            return results
        results.update(self._post_summary(client, items))
        return results

    def _post_summary(self, client: WebClient, items: list[SummaryItem]) -> dict[int, Outcome]:
        """The outcome of every row the summary settled; rows left out go on their own."""
        results: dict[int, Outcome] = {}
        target = Target(items[0].claim.recipient)
        # Slack failing is about the summary as a whole; back off as its most tried row would.
        probe = max((item.claim for item in items), key=lambda claim: claim.attempts)
        try:
            results.update(self._found_earlier(client, target, items))
            items = [item for item in items if item.claim.id not in results]
            if len(items) < 2:
                return results
            message = summary(items, self.clock.now())
            channel, ts = posting.post(client, [item.claim.id for item in items], target, message)
        except SlackApiError as error:
            outcome = classify(error, probe)
            if isinstance(outcome, Retry) and (outcome.outage or outcome.rate_limited):
                results.update(dict.fromkeys((item.claim.id for item in items), outcome))
            else:
                # Refused for a reason of its own: each item goes as its own message instead.
                log.warning("catch_up.refused error=%s rows=%s", getattr(outcome, "error", ""), len(items))
            return results
        except (OSError, TimeoutError) as error:  # connection refused/reset, read timeout
            failed = unreachable(error, probe.attempts)
            results.update(dict.fromkeys((item.claim.id for item in items), failed))
            return results
        log.info("notification.catch_up rows=%s ts=%s", len(items), ts)
        results.update(dict.fromkeys((item.claim.id for item in items), Sent(channel=channel, ts=ts)))
        return results

    def _found_earlier(
        self, client: WebClient, target: Target, items: list[SummaryItem]
    ) -> dict[int, Outcome]:
        """Rows an earlier attempt may have delivered, found in the DM (alone or in a summary)."""
        uncertain = {item.claim.id for item in items if item.claim.maybe_delivered}
        if not uncertain:
            return {}
        since = min(item.claim.run_at for item in items)
        found = posting.sent_earlier(client, target, since, uncertain)
        for notification_id, (_, ts) in found.items():
            log.info("notification.found_earlier id=%s ts=%s", notification_id, ts)
        return {
            notification_id: Sent(channel=channel, ts=ts) for notification_id, (channel, ts) in found.items()
        }

    def _ready(self, claim: Claim) -> Outcome | SummaryItem | None:
        """The row's own rules first (a kept promise's reminder is skipped, an out-of-hours
        escalation deferred, and an escalation going out moves the later levels); an item if it
        goes in the summary, None if it should go on its own."""
        with self.db.transaction() as session:
            scene = scenes.load(session, claim, self.clock.now())
        if scene is None:
            return None
        gone = notifications.no_longer_needed(claim.kind, scene.case, scene.promise)
        if gone is not None:
            return Skipped(gone)
        if claim.kind in _NEEDS_PROMISE and scene.promise is None:
            return None
        waiting = self.hold_back(claim, scene)
        if waiting is not None:
            return waiting
        return SummaryItem(claim=claim, case=scene.case, promise=scene.promise, escalation=scene.escalation)
