"""Slack calling the bot: SlackEventsClient (client.py), one mixin per kind of request."""

from slack_standin.events_client.client import SlackEventsClient
from slack_standin.events_client.wire import Reply, sign

__all__ = ["Reply", "SlackEventsClient", "sign"]
