"""The catch-up summary: after downtime, everything that came due for one person in one DM
("While casekeeper was away, 3 things for you came due"), each item with the buttons its own
message would have had.

Exactly once, as for any message: the summary's metadata lists every notification id it
stands for, and before a re-send the DM is searched for them (handlers/deliver.py's
`_find_earlier` knows the list too). Each item's blocks share a block_id prefix, so a click on
one item redraws only that item (handlers/actions.py: `mark_resolved`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, Block, MarkdownTextObject, SectionBlock

from bot.delivery.dispatcher import Outcome, Retry, Sent, backoff
from handlers.outbound.sender import (
    LOOK_BACK,
    LOOK_BACK_PAGES,
    METADATA_EVENT,
    Scene,
    SlackSender,
    _classify,
    no_longer_needed,
)
from handlers.views import blocks as render
from storage.models import NotificationKind
from storage.outbox import Claim

log = logging.getLogger(__name__)

# Every block of an item has a block_id starting "catch_up.<notification id>.".
ITEM_PREFIX = "catch_up."
# Items shown in full with their buttons; the rest (a long downtime) are listed one line each,
# so the message stays within Slack's 50 blocks.
MOST_DETAILED = 15

_NEEDS_PROMISE = {
    NotificationKind.REMINDER.value,
    NotificationKind.ESCALATION.value,
    NotificationKind.MANAGER_MISSING.value,
}


@dataclass(frozen=True)
class Item:
    claim: Claim
    scene: Scene


class CatchingUpSender(SlackSender):
    """SlackSender that can also send one person's rows as one summary (bot/catch_up.py says
    which rows)."""

    def deliver_summary(self, claims: list[Claim]) -> dict[int, Outcome]:
        results: dict[int, Outcome] = {}
        items: list[Item] = []
        for claim in claims:
            try:
                ready = self._ready(claim)
            except Exception:  # it goes on its own, where the usual rules deal with it
                log.warning("catch_up.item_failed id=%s", claim.id, exc_info=True)
                continue
            if isinstance(ready, Item):
                items.append(ready)
            elif ready is not None:
                results[claim.id] = ready
        if len(items) < 2:
            return results
        first = items[0].claim
        client = self.clients.notification(first.team_id)
        if client is None:
            return results
        # Slack failing is about the summary as a whole; back off as its most tried row would.
        probe = max((item.claim for item in items), key=lambda claim: claim.attempts)
        try:
            if any(item.claim.maybe_delivered for item in items):
                found = self._sent_earlier(client, first.recipient, min(i.claim.run_at for i in items))
                for item in items:
                    if item.claim.maybe_delivered and item.claim.id in found:
                        channel, ts = found[item.claim.id]
                        log.info("notification.found_earlier id=%s ts=%s", item.claim.id, ts)
                        results[item.claim.id] = Sent(channel=channel, ts=ts)
                items = [item for item in items if item.claim.id not in results]
                if len(items) < 2:
                    return results
            message = summary(items, self.clock.now())
            response = client.chat_postMessage(
                channel=first.recipient,
                text=message.text,
                blocks=message.blocks,
                metadata={
                    "event_type": METADATA_EVENT,
                    "event_payload": {"notification_ids": [item.claim.id for item in items]},
                },
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            outcome = _classify(error, probe)
            if isinstance(outcome, Retry) and (outcome.outage or outcome.rate_limited):
                results.update(dict.fromkeys((item.claim.id for item in items), outcome))
            else:
                # Refused for a reason of its own: each item goes as its own message instead.
                log.warning("catch_up.refused error=%s rows=%s", getattr(outcome, "error", ""), len(items))
            return results
        except (OSError, TimeoutError) as error:  # connection refused/reset, read timeout
            failed = Retry(
                error=f"{type(error).__name__}: {error}",
                after=backoff(probe.attempts),
                uncertain=True,
                outage=True,
            )
            results.update(dict.fromkeys((item.claim.id for item in items), failed))
            return results
        sent = Sent(channel=str(response["channel"]), ts=str(response["ts"]))
        log.info("notification.catch_up rows=%s ts=%s", len(items), sent.ts)
        results.update(dict.fromkeys((item.claim.id for item in items), sent))
        return results

    def _ready(self, claim: Claim) -> Outcome | Item | None:
        """The row's own rules first (a kept promise's reminder is skipped, an out-of-hours
        escalation deferred, and an escalation going out moves the later levels); an Item if it
        goes in the summary, None if it should go on its own."""
        with self.db.transaction() as session:
            scene = self._scene(session, claim)
        if scene is None:
            return None
        gone = no_longer_needed(claim, scene)
        if gone is not None:
            return gone
        if claim.kind in _NEEDS_PROMISE and scene.promise is None:
            return None
        not_yet = self._not_yet(claim, scene)
        if not_yet is not None:
            return not_yet
        return Item(claim=claim, scene=scene)

    def _sent_earlier(self, client: WebClient, user_id: str, since: datetime) -> dict[int, tuple[str, str]]:
        """Every notification id already in the person's DM, alone or in a summary."""
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        oldest = f"{(since - LOOK_BACK).timestamp():.6f}"
        found: dict[int, tuple[str, str]] = {}
        cursor = None
        for _ in range(LOOK_BACK_PAGES):
            response = client.conversations_history(
                channel=channel, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor
            )
            for message in response.get("messages", []):
                metadata = message.get("metadata") or {}
                if metadata.get("event_type") != METADATA_EVENT:
                    continue
                payload = metadata.get("event_payload") or {}
                ids = list(payload.get("notification_ids") or []) + [payload.get("notification_id")]
                for notification_id in ids:
                    if isinstance(notification_id, int):
                        found.setdefault(notification_id, (channel, str(message["ts"])))
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return found


# -- rendering ---------------------------------------------------------------------------------


def summary(items: list[Item], now: datetime) -> render.Message:
    count = len(items)
    things = "1 thing" if count == 1 else f"{count} things"
    headline = f"While casekeeper was away, {things} for you came due"
    detailed, listed = items[:MOST_DETAILED], items[MOST_DETAILED:]
    note = "Oldest first; each has the buttons its own message would have."
    if listed:
        note = f"Oldest first; the first {len(detailed)} with their buttons, the other {len(listed)} below."
    blocks: list[Block] = [render.section(f":wave: *{headline}*"), render.context(note)]
    for item in detailed:
        blocks += _item_blocks(item, now)
    if listed:
        lines = [f"• {_one_line(item, now)}" for item in listed]
        blocks += render.packed(f"*And {len(listed)} more* (`/case show CASE-…` for any of them)", lines)
    fallback = "; ".join(_fallback(item) for item in items)
    return render.message(render.safe(f"{headline}: {fallback}."), blocks)


def _item_blocks(item: Item, now: datetime) -> list[Block]:
    prefix = f"{ITEM_PREFIX}{item.claim.id}."
    label, body = _describe(item, now)
    blocks: list[Block] = [
        SectionBlock(
            block_id=f"{prefix}text",
            text=MarkdownTextObject(text=render.clip(f"*{label}* · {body}", render.SECTION_TEXT_LIMIT)),
        )
    ]
    buttons = _buttons(item, now)
    if buttons is not None:
        blocks.append(ActionsBlock(block_id=f"{prefix}actions", elements=buttons["elements"]))
    return blocks


def _buttons(item: Item, now: datetime) -> dict[str, Any] | None:
    """The single message's own buttons (same action_ids and values), so the handlers in
    handlers/actions.py work on a summary item exactly as on its message."""
    kind, case, promise = item.claim.kind, item.scene.case, item.scene.promise
    if promise is None:
        return None
    if kind == NotificationKind.REMINDER.value:
        single = render.reminder(case, promise)
    elif kind == NotificationKind.ESCALATION.value and item.scene.escalation is not None:
        single = render.escalation(case, promise, now, item.scene.escalation)
    else:
        return None
    return next((b for b in single.blocks if b.get("type") == "actions"), None)


def _due(due_at: datetime, now: datetime) -> str:
    if now > due_at:
        return f"due {render.when(due_at)} · *{render.duration(now - due_at)} late*"
    return f"due {render.when(due_at)} · in {render.duration(due_at - now)}"


def _describe(item: Item, now: datetime) -> tuple[str, str]:
    """What it is, and what it says: case ref, customer, the promise and when it was due."""
    claim, case, promise = item.claim, item.scene.case, item.scene.promise
    kind = NotificationKind(claim.kind)
    where = f"*{case.ref}* · {render.customer_of(case)}"
    if kind is NotificationKind.REMINDER and promise is not None:
        return ":alarm_clock: Reminder", (
            f"{where}\nYou promised: “{render.safe(promise.description)}”\n{_due(promise.due_at, now)}"
        )
    if kind is NotificationKind.ESCALATION and promise is not None:
        label = ":sos: Help asked" if now < promise.due_at else ":rotating_light: Missed promise"
        level = f" · level {claim.level}" if claim.level > 1 else ""
        return label + level, (
            f"{where}\n<@{promise.owner_id}> promised: “{render.safe(promise.description)}”\n"
            f"{_due(promise.due_at, now)}"
        )
    if kind is NotificationKind.MANAGER_MISSING and promise is not None:
        return ":warning: Escalated to the channel", (
            f"{where}\n{render.manager_missing(case, promise).text}\n{_due(promise.due_at, now)}"
        )
    if kind is NotificationKind.HANDOVER:
        handed = render.handed_over(case, claim.payload["by"], claim.payload["previous_owner"])
        return ":inbox_tray: Yours now", f"{where}\n{handed.text}"
    return ":speech_balloon: Update", f"{where}\n{render.person_note(case, promise, claim.payload).text}"


def _one_line(item: Item, now: datetime) -> str:
    case, promise = item.scene.case, item.scene.promise
    label, _ = _describe(item, now)
    what = ""
    if promise is not None:
        what = f": “{render.safe(render.clip(promise.description, 80))}” {_due(promise.due_at, now)}"
    customer = render.clip(render.customer_of(case), 40)
    return f"*{label}* · {case.ref} · {customer}{what}"


_SAID_AS = {
    NotificationKind.REMINDER.value: "reminder",
    NotificationKind.ESCALATION.value: "missed promise",
    NotificationKind.MANAGER_MISSING.value: "escalated to the channel",
    NotificationKind.HANDOVER.value: "handed to you",
    NotificationKind.PERSON_NOTE.value: "update",
}


def _fallback(item: Item) -> str:
    case = item.scene.case
    return f"{_SAID_AS.get(item.claim.kind, 'update')} on {case.ref} ({case.customer or 'customer'})"


# -- a click on one item -----------------------------------------------------------------------


def item_of(block_id: str | None) -> str | None:
    """The item a clicked block belongs to ("catch_up.17"), None outside a summary."""
    if not block_id or not block_id.startswith(ITEM_PREFIX):
        return None
    parts = block_id.split(".")
    return ".".join(parts[:2]) if len(parts) >= 3 else None


def redraw_item(
    blocks: list[dict[str, Any]], item: str, decide: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The summary with only `item`'s blocks passed through `decide` (what redrawing a whole
    single message does); every other item keeps its buttons."""
    prefix = f"{item}."
    inside = [n for n, b in enumerate(blocks) if str(b.get("block_id") or "").startswith(prefix)]
    if not inside:
        return blocks
    start, end = inside[0], inside[-1] + 1
    own = [{**b, "block_id": str(b["block_id"])[len(prefix) :]} for b in blocks[start:end]]
    redrawn: list[dict[str, Any]] = []
    for n, block in enumerate(decide(own)):
        # block_ids are unique in a message: every block of the item keeps the item's prefix.
        redrawn.append({**block, "block_id": f"{prefix}{block.get('block_id') or f'note{n}'}"})
    return [*blocks[:start], *redrawn, *blocks[end:]]
