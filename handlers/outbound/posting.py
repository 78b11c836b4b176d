"""Posting an outbox row to Slack so that it is never there twice.

Every message carries the notification id as Slack message metadata. When an earlier attempt
may have reached Slack (the process died holding the claim, or the call timed out), we look
for that metadata in the conversation before posting again, so the duplicate window is closed.
The client used here has no automatic retries: a connection-reset retry can re-post a message
Slack already accepted, and 429s are obeyed by rescheduling, not by sleeping on a claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.views.blocks import Message
from storage.outbox import Claim

METADATA_EVENT = "casekeeper_notification"
# How far back, and through how many pages of 200, to look for an earlier delivery.
LOOK_BACK = timedelta(hours=1)
LOOK_BACK_PAGES = 10


@dataclass(frozen=True)
class Target:
    channel: str
    thread_ts: str | None = None
    broadcast: bool = False


def post(client: WebClient, notification_ids: list[int], target: Target, message: Message) -> tuple[str, str]:
    """Post `message` standing for these outbox rows (one, or a catch-up summary's). Returns
    the channel and ts Slack gave it."""
    ids: dict[str, Any] = (
        {"notification_id": notification_ids[0]}
        if len(notification_ids) == 1
        else {"notification_ids": notification_ids}
    )
    arguments: dict[str, Any] = {
        "channel": target.channel,
        "text": message.text,
        "blocks": message.blocks,
        "metadata": {"event_type": METADATA_EVENT, "event_payload": ids},
        "unfurl_links": False,
        "unfurl_media": False,
    }
    if target.thread_ts:
        arguments["thread_ts"] = target.thread_ts
        arguments["reply_broadcast"] = target.broadcast
    try:
        response = client.chat_postMessage(**arguments)
    except SlackApiError as error:
        if error.response.get("error") != "not_in_channel" or not target.channel.startswith("C"):
            raise
        # A public channel the bot was never invited to: join it (and so also receive
        # the thread's replies as contacts), then post. A private channel can't be joined: then
        # Slack's first answer (not_in_channel) stands, and the bot waits to be invited.
        try:
            client.conversations_join(channel=target.channel)
        except SlackApiError:
            raise error from None
        response = client.chat_postMessage(**arguments)
    return str(response["channel"]), str(response["ts"])


def conversation_of(client: WebClient, channel: str) -> str:
    """Where a DM to a person is: their IM channel with the bot."""
    if channel.startswith(("U", "W")):
        return str(client.conversations_open(users=channel)["channel"]["id"])
    return channel


def sent_earlier(
    client: WebClient, target: Target, since: datetime, wanted: set[int]
) -> dict[int, tuple[str, str]]:
    """Which of the `wanted` notification ids are in the conversation already, alone or in a
    summary: id -> (channel, ts). Looks from LOOK_BACK before `since` (a row's run_at may have
    moved on since its first attempt), through every page in that window."""
    channel = conversation_of(client, target.channel)
    oldest = f"{(since - LOOK_BACK).timestamp():.6f}"
    found: dict[int, tuple[str, str]] = {}
    cursor = None
    for _ in range(LOOK_BACK_PAGES):
        page = {"oldest": oldest, "include_all_metadata": True, "limit": 200, "cursor": cursor}
        if target.thread_ts:
            response = client.conversations_replies(channel=channel, ts=target.thread_ts, **page)
        else:
            response = client.conversations_history(channel=channel, **page)
        for message in response.get("messages", []):
            for notification_id in _ids_in(message):
                if notification_id in wanted:
                    found.setdefault(notification_id, (channel, str(message["ts"])))
        if len(found) == len(wanted):
            break
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return found


def find_earlier(client: WebClient, claim: Claim, target: Target) -> tuple[str, str] | None:
    """The message this notification already produced, if any."""
    return sent_earlier(client, target, claim.run_at, {claim.id}).get(claim.id)


def _ids_in(message: dict[str, Any]) -> list[int]:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != METADATA_EVENT:
        return []
    payload = metadata.get("event_payload") or {}
    ids = [*(payload.get("notification_ids") or []), payload.get("notification_id")]
    return [notification_id for notification_id in ids if isinstance(notification_id, int)]
