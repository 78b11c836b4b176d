"""Slack's error codes, sorted by what they say about a message that could not be delivered: one
place for the sender that decides a message is dead (handlers/outbound/slack_errors.py) and the
notice that tells people why (handlers/views/dead_letters.py)."""

from __future__ import annotations

# The person a DM was for can't get any message from the bot: they left (deactivated), never
# were, or are a bot themselves. Slack's spec lists account_inactive for every method ("token is
# for a deleted user or workspace"): it is read as the recipient's, since a notice that then
# reaches someone proves the bot's own token works; if it is the token's, the notices die too and
# are only logged.
PERSON_GONE = frozenset({"account_inactive", "user_disabled", "user_not_found"})
RECIPIENT_GONE = PERSON_GONE | {"cannot_dm_bot"}
# The bot can't post in that channel.
CHANNEL_TROUBLE = frozenset({"not_in_channel", "channel_not_found", "is_archived", "channel_is_archived"})
# The bot's own access to the workspace is gone (uninstalled, token revoked): nothing it sends
# there arrives.
WORKSPACE_GONE = frozenset(
    {
        "app_not_installed",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "team_access_not_granted",
        "not_allowed_token_type",
        "ekm_access_denied",
    }
)
# Slack refused the message itself: a fault of ours, not of the recipient.
MESSAGE_REFUSED = frozenset(
    {"msg_too_long", "invalid_blocks", "no_text", "invalid_arguments", "too_many_attachments"}
)
