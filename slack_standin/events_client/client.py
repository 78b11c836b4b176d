"""SlackEventsClient: Slack calling the bot over HTTP. This module holds the transport (signed
POSTs to /slack/events); commands, interactions, modals and event callbacks are mixins in their
own modules of this package."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_standin.events_client.callbacks import EventCallbacksMixin
from slack_standin.events_client.commands import CommandsMixin
from slack_standin.events_client.interactions import InteractionsMixin
from slack_standin.events_client.modals import ModalsMixin
from slack_standin.events_client.wire import Reply, sign
from slack_standin.records import DEFAULT_TS

if TYPE_CHECKING:
    from slack_standin.web_api.server import FakeSlackAPI


class SlackEventsClient(CommandsMixin, ModalsMixin, InteractionsMixin, EventCallbacksMixin):
    """Sends the bot what Slack would: signed slash commands and Events API callbacks."""

    VERIFICATION_TOKEN = "legacy-verification-token"
    APP_ID = "A1"

    def __init__(
        self,
        bot_url: str,
        signing_secret: str,
        team_id: str = "T1",
        api: FakeSlackAPI | None = None,
        timestamp_func: Callable[[], float] = time.time,
        *,
        timeout: float = 30.0,
    ):
        self.bot_url = bot_url.rstrip("/")
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.api = api
        self.timestamp_func = timestamp_func
        self.timeout = timeout
        self.last_event_id: str | None = None
        self.last_ts: str | None = None
        # Share the stand-in's ts sequence so people's messages and the bot's never collide.
        self._ts = api.ts_clock if api is not None else DEFAULT_TS
        # No proxies: a developer's HTTP(S)_PROXY must not capture requests to 127.0.0.1.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @property
    def events_url(self) -> str:
        return self.bot_url + "/slack/events"

    def next_ts(self) -> str:
        return self._ts.next()

    # ---- transport -------------------------------------------------------------------------

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        headers: dict[str, str | None] | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Reply:
        """POST a raw body to /slack/events, signed unless told otherwise.

        A header given as None in `headers` is left out (to test a missing signature)."""
        stamp = int(self.timestamp_func()) if timestamp is None else timestamp
        if signature is None:
            signature = sign(self.signing_secret, body, stamp)
        all_headers: dict[str, str | None] = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature,
        }
        all_headers.update(headers or {})
        request = urllib.request.Request(self.events_url, data=body, method="POST")
        for name, value in all_headers.items():
            if value is not None:
                request.add_header(name, value)
        started = time.monotonic()
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, raw, reply_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            # Slack treats any answer as an answer; tests assert on 4xx/5xx, so return it.
            status, raw, reply_headers = error.code, error.read(), error.headers
        elapsed = time.monotonic() - started
        text = raw.decode("utf-8", "replace")
        parsed: dict[str, Any] | None = None
        if text.strip():
            try:
                candidate = json.loads(text)
            except ValueError:
                candidate = None
            parsed = candidate if isinstance(candidate, dict) else None
        return Reply(status=status, body=text, json=parsed, headers=reply_headers, elapsed=elapsed)
