"""The Slack Web API stand-in, FakeSlackAPI (server.py), one mixin per family of methods."""

from slack_standin.web_api.server import FakeSlackAPI

__all__ = ["FakeSlackAPI"]
