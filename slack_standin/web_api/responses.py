"""response_url: the URLs a command or an interaction carries, and what the bot's posts to them
do to the place they answer in."""

from __future__ import annotations

import copy
import json
import time
import urllib.parse
from typing import Any

from slack_standin.blockkit import block_problems
from slack_standin.records import Response
from slack_standin.web_api.http import Handler, send, truthy
from slack_standin.web_api.state import StandinState


class ResponseUrlMixin(StandinState):
    """The response_url endpoint, part of FakeSlackAPI."""

    def response_url(
        self,
        name: str = "",
        *,
        channel: str | None = None,
        user: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """A response_url. Given the place it answers in (and, for an interaction with a
        message, that message's ts), its posts are recorded with it, and replace_original /
        delete_original change that message as Slack would."""
        with self._lock:
            self._counter += 1
            n = self._counter
        slug = urllib.parse.quote(name, safe="") if name else "r"
        url = f"{self.root_url}/respond/{slug}-{n}"
        if channel is not None or user is not None or message_ts is not None:
            with self._lock:
                self._response_targets[urllib.parse.urlsplit(url).path] = {
                    "channel": channel,
                    "user": user,
                    "message_ts": message_ts,
                }
        return url

    @property
    def responses(self) -> list[Response]:
        with self._lock:
            return [copy.deepcopy(r) for r in self._responses]

    def current_response(self, response: Response) -> Response | None:
        """What a person sees now where `response` was shown: the latest response that replaced
        it, or None once one deleted it."""
        if not response.message_ts:
            return response
        with self._lock:
            latest = [r for r in self._responses if r.message_ts == response.message_ts]
        if not latest:
            return response
        if latest[-1].body.get("delete_original"):
            return None
        return copy.deepcopy(latest[-1])

    def _handle_response_url(self, request: Handler, path: str, raw: bytes, arrived: float) -> None:
        try:
            body = json.loads(raw.decode("utf-8") or "{}")
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            # Still recorded, so a test can see the bot sent something malformed.
            with self._lock:
                self._responses.append(Response(path, {"_raw": raw.decode("utf-8", "replace")}, arrived))
            send(request, 400, b"invalid_payload", "text/plain")
            return
        problems = block_problems(body["blocks"]) if "blocks" in body else []
        if problems:
            # Slack shows nothing and answers 400 with the error as plain text.
            self.reject("response_url", "invalid_blocks", "; ".join(problems), body)
            send(request, 400, b"invalid_blocks", "text/plain")
            return
        with self._lock:
            target = self._response_targets.get(path) or {}
            message_ts = self._apply_response(target, body) or self.ts_clock.next()
            self._responses.append(
                Response(path, body, arrived, target.get("channel"), target.get("user"), message_ts)
            )
        send(request, 200, b"ok", "text/html")

    def _apply_response(self, target: dict[str, Any], body: dict[str, Any]) -> str | None:
        """replace_original / delete_original on the message an interaction came from; the ts
        the response now shows under when it takes that message's place."""
        original_ts = target.get("message_ts")
        replace, delete = truthy(body.get("replace_original")), truthy(body.get("delete_original"))
        if not original_ts or not (replace or delete):
            return None
        message = self._find_message(str(target.get("channel")), str(original_ts))
        if message is not None:
            if delete:
                self._messages.remove(message)
            else:
                message.history.append(
                    {
                        "text": message.text,
                        "blocks": copy.deepcopy(message.blocks),
                        "metadata": copy.deepcopy(message.metadata),
                        "at": time.time(),
                        "edited_ts": self.ts_clock.next(),
                    }
                )
                message.text = str(body.get("text") or "")
                message.blocks = copy.deepcopy(body.get("blocks"))
            return None
        for ephemeral in self._ephemerals:
            if ephemeral.message_ts == original_ts:
                if delete:
                    self._ephemerals.remove(ephemeral)
                else:
                    ephemeral.text = str(body.get("text") or "")
                    ephemeral.blocks = copy.deepcopy(body.get("blocks"))
                return None
        # An earlier response: this one takes its place (see current_response).
        return str(original_ts)
