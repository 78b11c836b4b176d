"""What a Slack error means for an outbox row: try again (and whether Slack may have taken it),
hold everything back (an outage, a rate limit), or give up (no retry will fix it)."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.delivery.outcomes import Dead, Outcome, Retry, backoff
from handlers.slack_codes import RECIPIENT_GONE, WORKSPACE_GONE
from storage.outbox import Claim

# Slack errors that no retry will fix: the message is reported dead instead.
PERMANENT_ERRORS = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "channel_is_archived",
    "user_not_found",
    "user_disabled",
    "account_inactive",
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "token_expired",
    "missing_scope",
    "cannot_dm_bot",
    "msg_too_long",
    "invalid_blocks",
    "no_text",
    "restricted_action",
    "invalid_arguments",
    "too_many_attachments",
    "message_not_found",
    "thread_not_found",
    "ekm_access_denied",
    "team_access_not_granted",
    "not_allowed_token_type",
}

# Answered with HTTP 200 but about Slack, not the message (api.slack.com/methods/chat.postMessage).
SLACK_SIDE_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}


def classify(error: SlackApiError, claim: Claim) -> Outcome:
    response = error.response
    status = response.status_code
    code = str(response.get("error") or f"http_{status}")
    if status == 429:
        return Retry(error="ratelimited", after=retry_after(response.headers), rate_limited=True)
    if code in PERMANENT_ERRORS:
        return Dead(code)
    if status >= 500 or code in SLACK_SIDE_ERRORS:
        # Slack is failing, and may or may not have taken the message.
        return Retry(error=code, after=backoff(claim.attempts), uncertain=True, outage=True)
    # An error about this message we don't know: retried on its own, then reported dead.
    # Slack answered "not ok", so it did not post it.
    return Retry(error=code, after=backoff(claim.attempts))


def recipient_gone(error: str) -> bool:
    """Whether a dead row's error says its recipient can't get messages at all."""
    return error in RECIPIENT_GONE


def workspace_gone(error: str) -> bool:
    """Whether a dead row's error says the bot can't reach its workspace at all."""
    return error.split(" ", 1)[0] in WORKSPACE_GONE


def unreachable(error: OSError | TimeoutError, attempts: int) -> Retry:
    """Connection refused or reset, a read timeout: Slack may have taken the message."""
    return Retry(
        error=f"{type(error).__name__}: {error}", after=backoff(attempts), uncertain=True, outage=True
    )


def retry_after(headers: Any) -> timedelta:
    raw = headers.get("Retry-After", headers.get("retry-after", "1")) or "1"
    try:
        seconds = math.ceil(float(raw))
    except ValueError:  # an HTTP date or garbage: wait a little and ask again
        seconds = 5
    return timedelta(seconds=max(1, seconds))
