"""block_actions: a person acting on an element of a message or a view, and what every
interaction payload carries."""

from __future__ import annotations

import copy
import json
import time
import urllib.parse
import uuid
from typing import TYPE_CHECKING, Any, NamedTuple

from slack_standin.blockkit import find_element, with_slack_ids
from slack_standin.events_client.wire import Reply
from slack_standin.records import Ephemeral, Message, Response, StoredView
from slack_standin.view_state import STATE_KEYS, entry_for, state_values

if TYPE_CHECKING:
    from slack_standin.web_api.server import FakeSlackAPI


class _Shown(NamedTuple):
    """A message as the person acting on it sees it, and as the payload describes it."""

    channel: str
    message_ts: str
    is_ephemeral: bool
    blocks: Any
    message: dict[str, Any] | None


class InteractionsMixin:
    """Interactions, part of SlackEventsClient."""

    VERIFICATION_TOKEN: str
    APP_ID: str
    team_id: str
    api: FakeSlackAPI | None

    #
    # Slack posts interactions as application/x-www-form-urlencoded with one field, payload,
    # holding the JSON; signed like everything else. Each carries a fresh trigger_id, which the
    # stand-in learns about so its views.open / views.push can hold the bot to Slack's rules.

    def interactive(self, payload: dict[str, Any]) -> Reply:
        """Send an interaction payload the way Slack does."""
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode("utf-8")
        return self.post(body, "application/x-www-form-urlencoded")

    def block_action(
        self,
        source: Message | Ephemeral | Response | StoredView,
        action_id: str,
        *,
        user: str | None = None,
        value: Any = None,
        option: Any = None,
        options: list[Any] | None = None,
        date: Any = None,
        time: Any = None,
        selected_user: str | None = None,
        block_id: str | None = None,
    ) -> Reply:
        """A person acting on an element of a message or view; see block_action_payload."""
        return self.interactive(
            self.block_action_payload(
                source,
                action_id,
                user=user,
                value=value,
                option=option,
                options=options,
                date=date,
                time=time,
                selected_user=selected_user,
                block_id=block_id,
            )
        )

    def block_action_payload(
        self,
        source: Message | Ephemeral | Response | StoredView,
        action_id: str,
        *,
        user: str | None = None,
        value: Any = None,
        option: Any = None,
        options: list[Any] | None = None,
        date: Any = None,
        time: Any = None,
        selected_user: str | None = None,
        block_id: str | None = None,
    ) -> dict[str, Any]:
        """The block_actions payload for `user` acting on the element with `action_id` in the
        current version of `source` (a message, an ephemeral, a response_url answer or a view).

        For a button, `value` picks which of several sharing the action_id; for a text or
        number input it is what was typed. A select, radio or overflow takes `option` (an
        option's value or text), checkboxes and multi-selects `options`, pickers `date` /
        `time`, user selects `selected_user`."""
        if isinstance(source, StoredView):
            stored = self._current_view(source)
            actor = user or stored.user
            if actor != stored.user:
                raise AssertionError(f"{actor} cannot act in {stored.user}'s view {stored.id}")
            blocks = stored.blocks
        else:
            actor = user or "UAGENT"
            surface = self._message_surface(source, actor)
            blocks = surface["blocks"]
        block, element = find_element(blocks, action_id, value=value, block_id=block_id)
        action = _action(block, element, self.next_ts(), value, option, options, date, time, selected_user)
        if isinstance(source, StoredView):
            return self._view_action_payload(stored, actor, block, element, action)
        return self._message_action_payload(surface, actor, block, element, action)

    def _view_action_payload(
        self,
        stored: StoredView,
        actor: str,
        block: dict[str, Any],
        element: dict[str, Any],
        action: dict[str, Any],
    ) -> dict[str, Any]:
        if element.get("type") in STATE_KEYS and self.api is not None:
            # What the person picked stays in the view: later payloads carry it in state.values.
            self.api.remember_entry(
                stored.id, str(block["block_id"]), str(element["action_id"]), _entry_of(action)
            )
            stored = self._current_view(stored)
        payload = self._interaction_base("block_actions", actor, view_id=stored.id)
        payload["container"] = {"type": "view", "view_id": stored.id}
        payload["view"] = view_with_state(stored)
        payload["actions"] = [action]
        return payload

    def _message_action_payload(
        self,
        surface: dict[str, Any],
        actor: str,
        block: dict[str, Any],
        element: dict[str, Any],
        action: dict[str, Any],
    ) -> dict[str, Any]:
        entered: dict[str, Any] = {}
        if element.get("type") in STATE_KEYS:
            entered = {str(block["block_id"]): {str(element["action_id"]): _entry_of(action)}}
        payload = self._interaction_base("block_actions", actor)
        payload["container"] = surface["container"]
        payload["channel"] = surface["channel"]
        if surface["message"] is not None:
            payload["message"] = surface["message"]
        payload["state"] = {"values": state_values(surface["blocks"], entered)}
        payload["response_url"] = surface["response_url"]
        payload["actions"] = [action]
        return payload

    def _interaction_base(self, kind: str, user: str, *, view_id: str | None = None) -> dict[str, Any]:
        name = self.api.user_name(user) if self.api is not None else user.lower()
        if self.api is not None:
            trigger_id = self.api.issue_trigger(user, view_id=view_id)
        else:
            trigger_id = f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"
        return {
            "type": kind,
            "team": {"id": self.team_id, "domain": "casekeeper-test"},
            "user": {"id": user, "username": name, "name": name, "team_id": self.team_id},
            "api_app_id": self.APP_ID,
            "token": self.VERIFICATION_TOKEN,
            "trigger_id": trigger_id,
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def _current_view(self, view: StoredView) -> StoredView:
        if self.api is None:
            return view
        current = self.api.view(view.id)
        if current is None:
            raise AssertionError(f"Slack never showed view {view.id}")
        if current.closed:
            raise AssertionError(f"view {view.id} ({current.callback_id or current.type}) is closed")
        return current

    def _message_surface(self, source: Message | Ephemeral | Response, actor: str) -> dict[str, Any]:
        """Where a person acts in a message: its current blocks, and the container, channel,
        message and response_url Slack puts in the payload."""
        if isinstance(source, Message):
            shown = self._shown_message(source)
        elif isinstance(source, Ephemeral):
            shown = self._shown_ephemeral(source, actor)
        else:
            shown = self._shown_response(source, actor)
        channel, message_ts = shown.channel, shown.message_ts
        channel_name = self.api.channel_name(channel) if self.api is not None else channel.lower()
        if self.api is not None:
            response_url = self.api.response_url("action", channel=channel, user=actor, message_ts=message_ts)
        else:
            response_url = "http://127.0.0.1:9/respond"
        return {
            "blocks": shown.blocks,
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": shown.is_ephemeral,
            },
            "channel": {"id": channel, "name": channel_name},
            "message": shown.message,
            "response_url": response_url,
        }

    def _shown_message(self, source: Message) -> _Shown:
        channel, message_ts = source.channel, source.ts
        if self.api is not None:
            message = self.api.message_payload(channel, message_ts)
            if message is None:
                raise AssertionError(f"message {message_ts} in {channel} is gone")
        else:
            message = {"type": "message", "ts": message_ts, "text": source.text, "blocks": source.blocks}
        return _Shown(channel, message_ts, False, message.get("blocks"), message)

    def _shown_ephemeral(self, source: Ephemeral, actor: str) -> _Shown:
        current = self.api.current_ephemeral(source.message_ts) if self.api is not None else source
        if current is None:
            raise AssertionError(f"ephemeral message {source.message_ts} is gone")
        if actor != current.user:
            raise AssertionError(f"only {current.user} sees this ephemeral message, not {actor}")
        channel, message_ts = current.channel, current.message_ts
        blocks = with_slack_ids(current.blocks, f"{channel}:{message_ts}")
        return _Shown(channel, message_ts, True, blocks, None)

    def _shown_response(self, source: Response, actor: str) -> _Shown:
        shown = self.api.current_response(source) if self.api is not None else source
        if shown is None:
            raise AssertionError(f"the response at {source.path} was deleted")
        if shown.user is not None and shown.is_ephemeral and actor != shown.user:
            raise AssertionError(f"only {shown.user} sees this response, not {actor}")
        channel, message_ts = shown.channel or "", shown.message_ts or self.next_ts()
        blocks = with_slack_ids(shown.body.get("blocks"), f"{channel}:{message_ts}:{shown.at}")
        message: dict[str, Any] | None = None
        if not shown.is_ephemeral:
            message = {
                "type": "message",
                "ts": message_ts,
                "text": shown.body.get("text", ""),
                "blocks": blocks,
                "user": self.api.bot_user_id if self.api is not None else "UBOT",
                "bot_id": self.api.bot_id if self.api is not None else "BBOT",
                "team": self.team_id,
            }
        return _Shown(channel, message_ts, shown.is_ephemeral, blocks, message)


def _action(
    block: dict[str, Any],
    element: dict[str, Any],
    action_ts: str,
    value: Any,
    option: Any,
    options: list[Any] | None,
    date: Any,
    time: Any,
    selected_user: str | None,
) -> dict[str, Any]:
    """One entry of a block_actions payload's `actions`, in Slack's shape for the element."""
    kind = str(element.get("type"))
    action: dict[str, Any] = {
        "type": kind,
        "action_id": element.get("action_id"),
        "block_id": block.get("block_id"),
    }
    if kind == "button":
        action["text"] = copy.deepcopy(element.get("text"))
        for key in ("value", "style", "url"):
            if key in element:
                action[key] = element[key]
    else:
        chosen = next((c for c in (option, options, date, time, selected_user, value) if c is not None), None)
        if chosen is None:
            raise AssertionError(
                f"say what was chosen in {kind} {element.get('action_id')!r} "
                "(option=, options=, date=, time=, selected_user= or value=)"
            )
        entry = entry_for(element, chosen)
        entry.pop("type")
        action.update(entry)
        if "placeholder" in element:
            action["placeholder"] = copy.deepcopy(element["placeholder"])
    action["action_ts"] = action_ts
    return action


def _entry_of(action: dict[str, Any]) -> dict[str, Any]:
    """The state.values entry an action leaves behind."""
    key = STATE_KEYS[action["type"]]
    return {"type": action["type"], key: copy.deepcopy(action.get(key))}


def view_with_state(stored: StoredView) -> dict[str, Any]:
    """The view as Slack sends it in payloads: state.values for every stateful element."""
    view = copy.deepcopy(stored.view)
    view["state"] = {"values": state_values(stored.blocks, stored.state)}
    return view
