"""A local stand-in for Slack, used by the test suite, `make demo` and bench/. It is never shipped
in the wheel: the bot's packages are bot, handlers and storage only.

Two halves, both speaking real HTTP on 127.0.0.1 so the bot under test runs unpatched:

* `FakeSlackAPI` plays the Slack Web API (the bot's slack_sdk client points its base_url here) and
  a response_url endpoint. It records every call, keeps the messages the bot posted, and can be
  told to misbehave (errors, rate limits, slowness, dropped connections), or to hold the bot to
  Slack's documented rate limits (`enforce_rate_limits`, off unless asked).
* `SlackEventsClient` plays Slack calling the bot: slash commands, Events API callbacks and
  interactions (block_actions, view_submission, view_closed, app_home_opened), signed with the
  signing secret exactly as Slack documents it.

Like Slack, the stand-in holds the bot to the rules of interactivity: a trigger_id opens one
view, within 3 seconds; views keep an id and a hash (views.update with a stale hash is refused);
and every view and every blocks payload is checked with slack_sdk's own Block Kit models and
Slack's documented limits. What Slack would refuse is answered with Slack's error and recorded
(`FakeSlackAPI.rejected`), so a test can't pass while the person saw nothing.

A bot in Socket Mode gets the same commands and events over a WebSocket instead:
`apps.connections.open` hands it a URL of `FakeSlackAPI.socket_mode` (a `SocketModeServer`), and
`SocketModeEventsClient` sends them there as envelopes and waits for the bot's acks.

Standard library at import time, so it can run anywhere the bot's tests run; the Block Kit checks
use slack_sdk (the bot's own dependency) and Socket Mode the `websockets` package (a dev extra),
each imported when first needed.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import hmac
import json
import math
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as time_of_day
from decimal import Decimal, InvalidOperation
from email.message import Message as HeaderMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "Call",
    "Ephemeral",
    "FakeSlackAPI",
    "Message",
    "RateLimit",
    "RateLimiter",
    "Reaction",
    "Rejection",
    "Reply",
    "Response",
    "SLACK_RATE_LIMITS",
    "SlackEventsClient",
    "SocketModeEventsClient",
    "SocketModeServer",
    "StoredView",
    "TsClock",
    "block_problems",
    "entry_for",
    "find_element",
    "sign",
    "state_values",
    "view_problems",
]

# Form-encoded Web API arguments that Slack documents as "JSON, URL-encoded as a string".
_JSON_ARGUMENTS = frozenset({"blocks", "attachments", "metadata", "view", "unfurls"})


# --------------------------------------------------------------------------------------------
# Message timestamps
# --------------------------------------------------------------------------------------------


class TsClock:
    """Hands out Slack-style message timestamps ("1700000000.000100").

    Slack's ts doubles as a message id, so two messages must never share one; time.time() can
    repeat or step backwards, hence the explicit monotonic bump. `time_func` lets a caller base
    the ts on a simulated clock (a test whose bot thinks it is some other day)."""

    def __init__(self, time_func: Callable[[], float] = time.time):
        self._time_func = time_func
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            micros = max(int(self._time_func() * 1_000_000), self._last + 1)
            self._last = micros
        return format_ts(micros)


def format_ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def ts_micros(ts: Any) -> int | None:
    """A ts as integer microseconds, for ordering; None when it isn't a number."""
    if ts is None or ts == "":
        return None
    try:
        return int(Decimal(str(ts)) * 1_000_000)
    except (InvalidOperation, ValueError):
        return None


# One process-wide clock for callers without a FakeSlackAPI, so their ts never collide either.
_DEFAULT_TS = TsClock()


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    # 0 means the connection was dropped without an HTTP response (see go_down).
    status: int
    error: str | None = None
    # The token the call carried: which workspace's bot made it (see FakeSlackAPI.team_of).
    token: str | None = None


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[Any] | None = None
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    user: str | None = None
    bot_id: str | None = None
    reply_broadcast: bool = False
    username: str | None = None
    icon_emoji: str | None = None
    attachments: list[Any] | None = None
    # Versions replaced by chat.update, oldest first: {"text", "blocks", "metadata", "at", "edited_ts"}.
    history: list[dict[str, Any]] = field(default_factory=list)
    # Everything the poster sent, for assertions on arguments this class doesn't model.
    params: dict[str, Any] = field(default_factory=dict)

    def all_text(self) -> str:
        """What a person sees: the text plus every text inside the blocks and attachments."""
        parts = [self.text] if self.text else []
        parts.extend(texts_in(self.blocks))
        parts.extend(texts_in(self.attachments))
        return "\n".join(parts)

    def mentions(self, s: str) -> bool:
        return s in self.all_text()

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass
class Reaction:
    channel: str
    timestamp: str
    name: str


@dataclass
class Ephemeral:
    channel: str
    user: str
    text: str
    blocks: list[Any] | None = None
    thread_ts: str | None = None
    message_ts: str = ""

    def all_text(self) -> str:
        return "\n".join(([self.text] if self.text else []) + texts_in(self.blocks))


@dataclass
class Response:
    path: str
    body: dict[str, Any]
    at: float
    # Where Slack shows it and to whom, when the response_url was issued for a known place
    # (see FakeSlackAPI.response_url); message_ts is the ts Slack gives what it shows.
    channel: str | None = None
    user: str | None = None
    message_ts: str = ""

    @property
    def is_ephemeral(self) -> bool:
        """Only the person it answers sees it, unless the bot said response_type=in_channel."""
        return self.body.get("response_type", "ephemeral") != "in_channel"

    def all_text(self) -> str:
        return "\n".join(texts_in(self.body))


@dataclass
class Rejection:
    """A call Slack would have refused for its payload (bad blocks or view, a spent trigger):
    the bot's bug, not Slack's weather. See FakeSlackAPI.rejected."""

    method: str
    error: str
    reason: str
    params: dict[str, Any]
    at: float

    def __str__(self) -> str:
        return f"{self.method} -> {self.error}: {self.reason}"


@dataclass
class StoredView:
    """A modal or Home tab as Slack keeps it: `view` is what views.* answered (id, hash, state,
    root_view_id, ...), updated in place by views.update and response_action=update."""

    id: str
    user: str
    view: dict[str, Any]
    # How it appeared: views.open, views.push, views.publish or response_action.
    method: str
    closed: bool = False
    # Earlier versions of `view`, oldest first.
    history: list[dict[str, Any]] = field(default_factory=list)
    # A sequence number of the last change, to find the view that changed last.
    changed: int = 0

    @property
    def type(self) -> str:
        return str(self.view.get("type") or "")

    @property
    def callback_id(self) -> str:
        return str(self.view.get("callback_id") or "")

    @property
    def hash(self) -> str:
        return str(self.view.get("hash") or "")

    @property
    def private_metadata(self) -> str:
        return str(self.view.get("private_metadata") or "")

    @property
    def blocks(self) -> list[Any]:
        return list(self.view.get("blocks") or [])

    @property
    def state(self) -> dict[str, Any]:
        """What the person has entered so far, as state.values ({block_id: {action_id: ...}})."""
        return dict((self.view.get("state") or {}).get("values") or {})

    def all_text(self) -> str:
        return "\n".join(texts_in([self.view.get("title"), self.view.get("blocks")]))

    def mentions(self, s: str) -> bool:
        return s in self.all_text()


@dataclass
class _Trigger:
    user: str
    issued: float  # time.monotonic(): Slack's 3 seconds are real seconds, whatever the test clock says
    # The view the interaction came from; views.push needs one.
    view_id: str | None = None
    used: bool = False


def texts_in(value: Any) -> list[str]:
    """Every `text` string anywhere in a message, its blocks and their elements: what a person reads."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, item in node.items():
                if key == "text" and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(value)
    return found


@dataclass
class _Fault:
    method: str
    status: int
    error: str | None
    retry_after: int | None
    times: int | None
    until: float | None
    # Only calls whose parameters include all of these fail (say, one channel).
    only: dict[str, Any] | None = None


@dataclass
class _Channel:
    exists: bool = True
    member: bool = True
    name: str | None = None


@dataclass
class _User:
    id: str
    name: str
    real_name: str
    tz: str
    email: str | None = None
    is_bot: bool = False
    # Their profile status, as users.info reports it (status_text, status_emoji).
    status_text: str = ""
    status_emoji: str = ""


@dataclass
class _Install:
    team_id: str
    team_name: str
    scopes: str
    installer: str
    token: str
    bot_user_id: str
    bot_id: str


class _ApiError(Exception):
    """A Slack `{"ok": false, "error": code}` answer raised from inside a method handler."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class _Rejected(_ApiError):
    """Slack refusing the payload itself (a bug in the caller, not the weather): answered like
    _ApiError, with Slack's response_metadata.messages, and recorded in FakeSlackAPI.rejected."""

    def __init__(self, code: str, problems: list[str]):
        super().__init__(code)
        self.problems = problems


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _dm_id(user_id: str) -> str:
    return "D" + user_id[1:]


# --------------------------------------------------------------------------------------------
# Block Kit: what Slack refuses, and how it reports what a person entered
# --------------------------------------------------------------------------------------------

# Slack's documented limits that slack_sdk's models cannot check one block at a time.
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
MAX_SECTION_FIELD_TEXT = 2000

# Each stateful element and the key Slack reports its value under, in state.values and actions.
_STATE_KEYS: dict[str, str] = {
    "plain_text_input": "value",
    "number_input": "value",
    "email_text_input": "value",
    "url_text_input": "value",
    "rich_text_input": "rich_text_value",
    "static_select": "selected_option",
    "external_select": "selected_option",
    "radio_buttons": "selected_option",
    "checkboxes": "selected_options",
    "multi_static_select": "selected_options",
    "multi_external_select": "selected_options",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
}
# Where an element declares its initial value, per state key.
_INITIAL_KEYS: dict[str, str] = {
    "value": "initial_value",
    "rich_text_value": "initial_value",
    "selected_option": "initial_option",
    "selected_options": "initial_options",
    "selected_date": "initial_date",
    "selected_time": "initial_time",
    "selected_date_time": "initial_date_time",
    "selected_user": "initial_user",
    "selected_users": "initial_users",
    "selected_conversation": "initial_conversation",
    "selected_conversations": "initial_conversations",
    "selected_channel": "initial_channel",
    "selected_channels": "initial_channels",
}
# Unfilled, these are an empty list in Slack's payloads; every other key is null.
_LIST_KEYS = frozenset({"selected_options", "selected_users", "selected_conversations", "selected_channels"})


def _problem(message: str, pointer: str) -> str:
    # The shape of Slack's response_metadata.messages, so a failure reads like Slack's.
    return f"[ERROR] {message} [json-pointer:{pointer}]"


def block_problems(
    blocks: Any, *, max_blocks: int | None = MAX_MESSAGE_BLOCKS, pointer: str = "/blocks"
) -> list[str]:
    """Why Slack would refuse these blocks (invalid_blocks); [] when it would take them.

    Each block goes through slack_sdk's own model and every validator of every object inside
    it (lengths, counts, which elements an input block takes); on top of that, what needs the
    whole list: the block count, unique block_ids, action_ids unique within their block."""
    if not isinstance(blocks, list):
        return [_problem("must be an array", pointer)]
    problems: list[str] = []
    if max_blocks is not None and len(blocks) > max_blocks:
        problems.append(_problem(f"must contain at most {max_blocks} items, has {len(blocks)}", pointer))
    first_index: dict[str, int] = {}
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        if not isinstance(block, dict):
            problems.append(_problem("must be an object", where))
            continue
        problems.extend(_model_problems(block, where))
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            if block_id in first_index:
                problems.append(
                    _problem(f"block_id {block_id!r} is already used by block {first_index[block_id]}", where)
                )
            first_index.setdefault(block_id, index)
        action_ids = [e.get("action_id") for e in _elements(block) if isinstance(e.get("action_id"), str)]
        for action_id in sorted({a for a in action_ids if action_ids.count(a) > 1}):
            problems.append(_problem(f"action_id {action_id!r} is used twice in this block", where))
        for n, item in enumerate((block.get("fields") or []) if block.get("type") == "section" else []):
            text = item.get("text") if isinstance(item, dict) else None
            if isinstance(text, str) and len(text) > MAX_SECTION_FIELD_TEXT:
                problems.append(
                    _problem(
                        f"must be at most {MAX_SECTION_FIELD_TEXT} characters", f"{where}/fields/{n}/text"
                    )
                )
    return problems


def view_problems(view: Any, *, pointer: str = "/view") -> list[str]:
    """Why Slack would refuse this view (invalid_arguments); [] when it would take it."""
    # slack_sdk is the bot's own dependency; imported here so the stand-in's other uses (the
    # demo's HTTP half) keep to the standard library at import time.
    from slack_sdk.models.views import View

    if not isinstance(view, dict):
        return [_problem("must be an object", pointer)]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [_problem(f"type must be modal or home, not {kind!r}", f"{pointer}/type")]
    problems: list[str] = []
    for key in ("title", "submit", "close"):
        item = view.get(key)
        if item is not None and not (isinstance(item, dict) and item.get("type") == "plain_text"):
            problems.append(_problem("must be a plain_text object", f"{pointer}/{key}"))
    if kind == "modal" and view.get("title") is None:
        problems.append(_problem("a modal needs a title", f"{pointer}/title"))
    blocks = view.get("blocks")
    has_inputs = isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "input" for b in blocks
    )
    if kind == "modal" and has_inputs and view.get("submit") is None:
        problems.append(_problem("a modal with input blocks needs a submit button", f"{pointer}/submit"))
    if not problems:
        try:
            model = View(**view)
            model.validate_json()  # title <= 24, 1-100 blocks, private_metadata <= 3000, ...
        except Exception as error:  # SlackObjectFormationError, or a constructor's TypeError
            problems.append(_problem(str(error), pointer))
    # The count was checked by View's own validator above.
    problems.extend(block_problems(blocks, max_blocks=None, pointer=f"{pointer}/blocks"))
    return problems


@functools.cache
def _known_block_types() -> frozenset[str]:
    from slack_sdk.models.blocks import Block

    found: set[str] = set()
    pending = list(Block.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if isinstance(getattr(cls, "type", None), str):
            found.add(cls.type)
    return frozenset(found)


def _model_problems(block: dict[str, Any], where: str) -> list[str]:
    from slack_sdk.models.blocks import Block

    # Checked first: Block.parse logs a warning and returns None for an unknown type.
    if block.get("type") not in _known_block_types():
        return [_problem(f"unsupported block type {block.get('type')!r}", f"{where}/type")]
    try:
        model = Block.parse(block)
    except Exception as error:
        return [_problem(f"is not a valid {block.get('type')} block: {error}", where)]
    if model is None:
        return [_problem("is not a block", where)]
    return _tree_problems(model, where)


def _tree_problems(model: Any, where: str) -> list[str]:
    """validate_json() checks one object; Slack checks the whole tree, so walk it."""
    from slack_sdk.models.basic_objects import JsonObject

    problems: list[str] = []
    try:
        model.validate_json()
    except Exception as error:
        problems.append(_problem(str(error), where))
    for name in sorted(getattr(model, "attributes", ())):
        try:
            child = getattr(model, name, None)
        except Exception:
            continue
        if isinstance(child, JsonObject):
            problems.extend(_tree_problems(child, f"{where}/{name}"))
        elif isinstance(child, list | tuple):
            for n, item in enumerate(child):
                if isinstance(item, JsonObject):
                    problems.extend(_tree_problems(item, f"{where}/{name}/{n}"))
    return problems


def _elements(block: dict[str, Any]) -> list[dict[str, Any]]:
    """The interactive elements a block holds, in order."""
    kind = block.get("type")
    if kind == "input":
        element = block.get("element")
        return [element] if isinstance(element, dict) else []
    if kind in ("actions", "context_actions"):
        return [e for e in block.get("elements") or [] if isinstance(e, dict)]
    accessory = block.get("accessory")
    return [accessory] if isinstance(accessory, dict) else []


def with_slack_ids(blocks: list[Any] | None, seed: str) -> list[Any]:
    """The blocks as Slack stores them: a block_id on every block and an action_id on every
    element that had none. Derived from `seed` (a message or view version) so that a later
    click on the same version finds the same ids, and a new version gets new ones."""
    filled = copy.deepcopy(blocks or [])
    for index, block in enumerate(filled):
        if not isinstance(block, dict):
            continue
        if not block.get("block_id"):
            block["block_id"] = _short_id(f"{seed}:{index}", 4)
        for n, element in enumerate(_elements(block)):
            if not element.get("action_id"):
                element["action_id"] = _short_id(f"{seed}:{index}:{n}", 5)
    return filled


def _short_id(seed: str, length: int) -> str:
    digest = hashlib.sha1(seed.encode()).digest()
    return base64.b32encode(digest).decode()[:length].replace("=", "A")


def find_element(
    blocks: list[Any] | None, action_id: str, *, value: str | None = None, block_id: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (block, element) a person would act on; `value` picks one of several buttons that
    share an action_id. Fails with the action_ids that are there, which is what a test needs."""
    candidates: list[tuple[dict[str, Any], dict[str, Any]]] = []
    present: list[str] = []
    for block in blocks or []:
        if not isinstance(block, dict):
            continue
        for element in _elements(block):
            label = f"{element.get('action_id')} ({element.get('type')}"
            label += f", value={element['value']!r})" if "value" in element else ")"
            present.append(label)
            if element.get("action_id") != action_id:
                continue
            if block_id is not None and block.get("block_id") != block_id:
                continue
            if value is not None and element.get("type") == "button" and element.get("value") != value:
                continue
            candidates.append((block, element))
    wanted = action_id + (f" with value={value!r}" if value is not None else "")
    wanted += f" in block {block_id!r}" if block_id is not None else ""
    if not candidates:
        shown = ", ".join(present) if present else "none"
        raise AssertionError(f"no element {wanted}; the action_ids there: {shown}")
    if len(candidates) > 1:
        raise AssertionError(f"{len(candidates)} elements match {wanted}; say which with value= or block_id=")
    return candidates[0]


def initial_entry(element: dict[str, Any]) -> dict[str, Any]:
    """What state.values holds for an element nobody touched: its initial value, or null
    (an empty list for the multi-value ones), as Slack sends unfilled inputs."""
    kind = str(element.get("type"))
    key = _STATE_KEYS[kind]
    initial = element.get(_INITIAL_KEYS[key])
    if initial is None:
        initial = [] if key in _LIST_KEYS else None
    return {"type": kind, key: copy.deepcopy(initial)}


def entry_for(element: dict[str, Any], chosen: Any) -> dict[str, Any]:
    """A person's choice as Slack reports it for this element: {"type", <its key>: ...}.

    `chosen` is plain Python: text (or a number) for text and number inputs; an option's value
    or its text for selects, radio buttons and overflow menus (a list for checkboxes and
    multi-selects); a date or "YYYY-MM-DD"; a time or "HH:MM"; a user, channel or
    conversation id. None means the person left it empty."""
    kind = str(element.get("type"))
    if kind == "overflow":
        return {"type": kind, "selected_option": _find_option(element, chosen)}
    if kind not in _STATE_KEYS:
        raise AssertionError(f"a {kind} element holds no value")
    key = _STATE_KEYS[kind]
    if chosen is None:
        return {"type": kind, key: [] if key in _LIST_KEYS else None}
    if key == "value":
        return {"type": kind, "value": _text_value(element, chosen)}
    if key == "rich_text_value":
        rich = chosen if isinstance(chosen, dict) else _rich_text(str(chosen))
        return {"type": kind, key: rich}
    if key == "selected_option":
        return {"type": kind, key: _find_option(element, chosen)}
    if key == "selected_options":
        many = list(chosen) if isinstance(chosen, list | tuple | set | frozenset) else [chosen]
        return {"type": kind, key: [_find_option(element, one) for one in many]}
    if key == "selected_date":
        return {"type": kind, key: _date_value(chosen)}
    if key == "selected_time":
        return {"type": kind, key: _time_value(chosen)}
    if key == "selected_date_time":
        if isinstance(chosen, datetime):
            if chosen.tzinfo is None:
                raise AssertionError("a datetimepicker takes an aware datetime")
            return {"type": kind, key: int(chosen.timestamp())}
        return {"type": kind, key: int(chosen)}
    if key in _LIST_KEYS:
        many = [chosen] if isinstance(chosen, str) else list(chosen)
        return {"type": kind, key: [str(one) for one in many]}
    return {"type": kind, key: str(chosen)}


def is_empty(entry: dict[str, Any]) -> bool:
    return all(value in (None, "", []) for key, value in entry.items() if key != "type")


def _text_value(element: dict[str, Any], chosen: Any) -> str:
    text = format(chosen, "f") if isinstance(chosen, Decimal) else str(chosen)
    if element.get("type") == "number_input":
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise AssertionError(f"a number_input takes a number, not {text!r}") from None
        if not element.get("is_decimal_allowed") and number != number.to_integral_value():
            raise AssertionError(f"number_input {element.get('action_id')!r} takes whole numbers only")
    return text


def _find_option(element: dict[str, Any], chosen: Any) -> dict[str, Any]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    if not options and element.get("type") in ("external_select", "multi_external_select"):
        # External options come from the app's options endpoint; take the choice as given.
        if isinstance(chosen, dict):
            return copy.deepcopy(chosen)
        return {"text": {"type": "plain_text", "text": str(chosen)}, "value": str(chosen)}
    wanted = chosen.get("value") if isinstance(chosen, dict) else chosen
    for match in (lambda o: o.get("value") == wanted, lambda o: (o.get("text") or {}).get("text") == wanted):
        for option in options:
            if match(option):
                return copy.deepcopy(option)
    shown = ", ".join(repr(o.get("value")) for o in options) or "none"
    raise AssertionError(f"{element.get('action_id')!r} has no option {wanted!r}; its options: {shown}")


def _date_value(chosen: Any) -> str:
    if isinstance(chosen, datetime):
        raise AssertionError("a datepicker takes a date, not a datetime")
    if isinstance(chosen, date):
        return chosen.isoformat()
    text = str(chosen)
    try:
        date.fromisoformat(text)
    except ValueError:
        raise AssertionError(f"a datepicker gives YYYY-MM-DD, not {text!r}") from None
    if len(text) != 10:
        raise AssertionError(f"a datepicker gives YYYY-MM-DD, not {text!r}")
    return text


def _time_value(chosen: Any) -> str:
    if isinstance(chosen, time_of_day):
        return f"{chosen.hour:02d}:{chosen.minute:02d}"
    text = str(chosen)
    parts = text.split(":")
    if len(parts) != 2 or not all(len(p) == 2 and p.isdigit() for p in parts):
        raise AssertionError(f"a timepicker gives HH:MM, not {text!r}")
    if int(parts[0]) > 23 or int(parts[1]) > 59:
        raise AssertionError(f"a timepicker gives HH:MM, not {text!r}")
    return text


def _rich_text(text: str) -> dict[str, Any]:
    return {
        "type": "rich_text",
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
    }


def stateful_elements(blocks: list[Any] | None) -> list[tuple[str, dict[str, Any]]]:
    """(block_id, element) for every element whose value Slack reports in state.values."""
    found = []
    for block in blocks or []:
        if isinstance(block, dict):
            for element in _elements(block):
                if element.get("type") in _STATE_KEYS:
                    found.append((str(block.get("block_id")), element))
    return found


def state_values(blocks: list[Any] | None, entered: dict[str, Any] | None = None) -> dict[str, Any]:
    """state.values as Slack sends it: every stateful element, with what the person entered
    (`entered`, keyed like state.values) or else its initial value or null."""
    entered = entered or {}
    values: dict[str, Any] = {}
    for block_id, element in stateful_elements(blocks):
        action_id = str(element.get("action_id"))
        entry = (entered.get(block_id) or {}).get(action_id)
        values.setdefault(block_id, {})[action_id] = copy.deepcopy(entry) if entry else initial_entry(element)
    return values


def submission_problems(view: dict[str, Any], values: dict[str, Any]) -> list[str]:
    """Why Slack's client would not let a person submit this modal: a required input left
    empty, text shorter or longer than the element allows."""
    problems = []
    for block in view.get("blocks") or []:
        if not isinstance(block, dict) or block.get("type") != "input":
            continue
        element = block.get("element") or {}
        block_id = str(block.get("block_id"))
        entry = (values.get(block_id) or {}).get(str(element.get("action_id")))
        if entry is None or is_empty(entry):
            if not block.get("optional"):
                problems.append(f"{block_id!r} is required")
            continue
        text = entry.get("value")
        if isinstance(text, str):
            if element.get("max_length") is not None and len(text) > int(element["max_length"]):
                problems.append(f"{block_id!r} takes at most {element['max_length']} characters")
            if element.get("min_length") is not None and len(text) < int(element["min_length"]):
                problems.append(f"{block_id!r} needs at least {element['min_length']} characters")
    return problems


# --------------------------------------------------------------------------------------------
# Rate limits (opt-in: FakeSlackAPI.enforce_rate_limits)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: `per_minute` calls a minute on average, up to `burst` at once.
    `scope` says what one bucket counts: every call of the method in a workspace, or only
    those to one channel."""

    per_minute: float
    burst: int
    scope: str = "workspace"  # or "channel"

    @property
    def per_second(self) -> float:
        return self.per_minute / 60


# Slack documents a floor for each tier and no exact number ("20+ per minute"), nor any burst
# size: the floors are what we hold the bot to, and the bursts are our guess at "occasional",
# "sporadic" and "generous". Sources (2025): docs.slack.dev/apis/web-api/rate-limits —
# "applied on a per API method per workspace per app basis"; Tier 2 20+/min, Tier 3 50+/min,
# Tier 4 100+/min; "chat.postMessage generally allows posting one message per second per
# channel, while also maintaining a workspace-wide limit", "short bursts >1 allowed" — and
# docs.slack.dev/reference/methods/chat.postMessage: that workspace limit is "several hundred
# messages per minute", with "generous burst behavior"; we take 600. Each method's tier is on
# its reference page. A method not listed here is never limited.
TIER_2 = RateLimit(per_minute=20, burst=5)
TIER_3 = RateLimit(per_minute=50, burst=10)
TIER_4 = RateLimit(per_minute=100, burst=20)
SLACK_RATE_LIMITS: dict[str, tuple[RateLimit, ...]] = {
    "chat.postMessage": (
        RateLimit(per_minute=60, burst=3, scope="channel"),
        RateLimit(per_minute=600, burst=30),
    ),
    "chat.update": (TIER_3,),
    "chat.delete": (TIER_3,),
    "chat.postEphemeral": (TIER_4,),
    "reactions.add": (TIER_3,),
    "conversations.open": (TIER_3,),
    "conversations.join": (TIER_3,),
    "conversations.history": (TIER_3,),
    "conversations.replies": (TIER_3,),
    "users.info": (TIER_4,),
    "views.open": (TIER_4,),
    "views.push": (TIER_4,),
    "views.update": (TIER_4,),
    "views.publish": (TIER_4,),
}


class TokenBucket:
    """One limit's bucket, full at first. Time is whatever clock the caller uses, in seconds,
    and never goes backwards."""

    def __init__(self, limit: RateLimit, now: float):
        self.limit = limit
        self.tokens = float(limit.burst)
        self.at = now

    def _level(self, now: float) -> float:
        return min(float(self.limit.burst), self.tokens + max(0.0, now - self.at) * self.limit.per_second)

    def ready_at(self, now: float) -> float:
        """The earliest moment (not before `now`) a call would be let through."""
        level = self._level(now)
        # A hair under 1 is float noise from refilling to exactly the moment computed here.
        if level >= 1 - 1e-9:
            return now
        return now + (1 - level) / self.limit.per_second

    def take(self, now: float) -> None:
        self.tokens, self.at = self._level(now) - 1, max(self.at, now)


class RateLimiter:
    """Slack's limits over a stream of calls: `wait` says how long a call must wait (0: it
    goes through, and counts). A refused call does not count, as at Slack."""

    def __init__(self, limits: dict[str, tuple[RateLimit, ...]] | None = None):
        self.limits = SLACK_RATE_LIMITS if limits is None else limits
        self._buckets: dict[tuple[str, str, str, int], TokenBucket] = {}

    def buckets(self, method: str, team: str, channel: str | None, now: float) -> list[TokenBucket]:
        found = []
        for number, limit in enumerate(self.limits.get(method, ())):
            where = (channel or "") if limit.scope == "channel" else ""
            key = (method, team, where, number)
            if key not in self._buckets:
                self._buckets[key] = TokenBucket(limit, now)
            found.append(self._buckets[key])
        return found

    def ready_at(self, method: str, team: str, channel: str | None, now: float) -> float:
        return max([now] + [b.ready_at(now) for b in self.buckets(method, team, channel, now)])

    def take(self, method: str, team: str, channel: str | None, now: float) -> None:
        for bucket in self.buckets(method, team, channel, now):
            bucket.take(now)

    def wait(self, method: str, team: str, channel: str | None, now: float) -> float:
        ready = self.ready_at(method, team, channel, now)
        if ready > now:
            return ready - now
        self.take(method, team, channel, now)
        return 0.0


def rate_limit_channel(channel: Any) -> str | None:
    """The conversation a per-channel limit counts: a user id posts into the app's DM."""
    if not channel or not isinstance(channel, str):
        return None
    return _dm_id(channel) if channel.startswith(("U", "W")) else channel


# --------------------------------------------------------------------------------------------
# The Web API stand-in
# --------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog is 5: a storm of calls from the bot (a new connection per
    # call) overflowed it and the kernel dropped connections, which Slack never does.
    request_queue_size = 128
    api: FakeSlackAPI

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout, retry) mid-answer is normal here, not worth a traceback.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "FakeSlack/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature is inherited
        # The tests and the demo print what matters themselves; per-request lines are noise.
        pass

    def do_GET(self) -> None:
        self.server.api._handle(self)

    def do_POST(self) -> None:
        self.server.api._handle(self)


class FakeSlackAPI:
    """The Slack Web API on 127.0.0.1, in memory. See the module docstring."""

    def __init__(
        self,
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        team_id: str = "T1",
        default_tz: str = "UTC",
        *,
        time_func: Callable[[], float] = time.time,
    ):
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        ZoneInfo(default_tz)  # fail at construction, not on the first users.info
        self.default_tz = default_tz
        self.ts_clock = TsClock(time_func)
        # One re-entrant lock for all state: calls are rare enough that contention doesn't matter,
        # and a single lock makes every query a consistent snapshot.
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._users: dict[str, _User] = {}
        self._channels: dict[str, _Channel] = {}
        self._counter = 0
        # How long a trigger_id stays good. Slack's expire after 3 seconds; None never expires.
        self.trigger_ttl: float | None = 3.0
        # Off unless a test or a benchmark asks (enforce_rate_limits).
        self._limiter: RateLimiter | None = None
        self._limit_clock: Callable[[], float] = time.monotonic
        self._clear_recorded()
        self._init_workspaces()
        self.socket_mode = SocketModeServer(app_id="A1")

    def _clear_recorded(self) -> None:
        with self._lock:
            self._calls: list[Call] = []
            self._messages: list[Message] = []
            self._reactions: list[Reaction] = []
            self._ephemerals: list[Ephemeral] = []
            self._responses: list[Response] = []
            self._views: list[Call] = []
            self._rejected: list[Rejection] = []
            self._rejections_expected = False
            self._triggers: dict[str, _Trigger] = {}
            # Every view by id, in the order they appeared; a person's Home tab by user.
            self._stored_views: dict[str, StoredView] = {}
            self._homes: dict[str, str] = {}
            # response_url path -> where its answers go: {"channel", "user", "message_ts"}.
            self._response_targets: dict[str, dict[str, Any]] = {}
            self._faults: list[_Fault] = []
            self._delays: dict[str, float] = {}
            self._answer_delays: dict[str, float] = {}
            self._down = False

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlackAPI:
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.api = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-slack", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.socket_mode.stop()
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> FakeSlackAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlackAPI is not started")
        return int(self._server.server_address[1])

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/api/"

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

    # ---- configuration ---------------------------------------------------------------------

    def set_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        tz: str | None = None,
        email: str | None = None,
        is_bot: bool = False,
        status_text: str = "",
        status_emoji: str = "",
    ) -> None:
        tz = tz or self.default_tz
        ZoneInfo(tz)  # a typo in a test's zone should fail here, loudly
        name = name or user_id.lower()
        with self._lock:
            self._users[user_id] = _User(
                user_id, name, real_name or name.title(), tz, email, is_bot, status_text, status_emoji
            )

    def set_channel(
        self, channel_id: str, *, member: bool = True, exists: bool = True, name: str | None = None
    ) -> None:
        with self._lock:
            self._channels[channel_id] = _Channel(exists=exists, member=member, name=name)

    def is_member(self, channel_id: str) -> bool:
        with self._lock:
            state = self._channels.get(channel_id)
            return state is None or (state.exists and state.member)

    def channel_name(self, channel_id: str) -> str:
        with self._lock:
            state = self._channels.get(channel_id)
        if state is not None and state.name:
            return state.name
        return "directmessage" if channel_id.startswith("D") else channel_id.lower()

    def user_name(self, user_id: str) -> str:
        with self._lock:
            user = self._users.get(user_id)
        return user.name if user else user_id.lower()

    # ---- fault injection -------------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        error: str | None = None,
        retry_after: int | None = None,
        times: int | None = None,
        until: float | None = None,
        only: dict[str, Any] | None = None,
    ) -> None:
        """Make the next `times` calls of `method` ("*" for all) fail; None = until cleared.
        `only`: just the calls with these parameters, e.g. {"channel": "UAGENT"}."""
        with self._lock:
            self._faults.append(_Fault(method, status, error, retry_after, times, until, only))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def delay(self, method: str, seconds: float) -> None:
        with self._lock:
            self._delays[method] = seconds

    def delay_answer(self, method: str, seconds: float) -> None:
        """Do the work of `method` at once but answer only after `seconds`: Slack has the
        message while the caller is still waiting (a crash then leaves it unrecorded)."""
        with self._lock:
            self._answer_delays[method] = seconds

    def clear_delays(self) -> None:
        with self._lock:
            self._delays.clear()
            self._answer_delays.clear()

    def enforce_rate_limits(
        self,
        limits: dict[str, tuple[RateLimit, ...]] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """From now on answer a call over its limit (SLACK_RATE_LIMITS unless given) as Slack
        does: HTTP 429, `ratelimited`, and Retry-After in whole seconds. `clock` lets a test
        move time by hand."""
        with self._lock:
            self._limiter = RateLimiter(limits)
            self._limit_clock = clock

    def stop_rate_limits(self) -> None:
        with self._lock:
            self._limiter = None

    def go_down(self) -> None:
        """Drop every /api/ connection without answering, as a network failure would."""
        with self._lock:
            self._down = True

    def come_back(self) -> None:
        with self._lock:
            self._down = False

    def _take_fault(self, method: str, params: dict[str, Any]) -> _Fault | None:
        with self._lock:
            now = time.time()
            self._faults = [f for f in self._faults if f.until is None or now < f.until]
            for fault in self._faults:
                if fault.only and any(params.get(k) != v for k, v in fault.only.items()):
                    continue
                if fault.method in (method, "*"):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    # ---- several workspaces (OAuth) --------------------------------------------------------
    #
    # Slack's side of an install: someone in a workspace approves the app on Slack's authorize
    # page (`approve_install`, which gives the code Slack puts in the redirect), the app trades
    # the code for that workspace's bot token with oauth.v2.access, and every later call carries
    # that token (`Call.token`, `team_of`). A token the stand-in never issued still speaks for
    # `team_id`, as in the one-workspace tests.

    def _init_workspaces(self) -> None:
        self._oauth_credentials: tuple[str, str] | None = None
        self._codes: dict[str, _Install] = {}
        self._installed_by_token: dict[str, _Install] = {}
        self._revoked_tokens: set[str] = set()
        self._caller_token: str | None = None

    def oauth_app(self, client_id: str, client_secret: str) -> None:
        """The app's credentials, as oauth.v2.access checks them."""
        with self._lock:
            self._oauth_credentials = (client_id, client_secret)

    def approve_install(
        self, team_id: str, *, scopes: str, installer: str, team_name: str | None = None
    ) -> str:
        """Someone in `team_id` approved the app for `scopes`: the one-time code for the redirect."""
        with self._lock:
            self._counter += 1
            n = self._counter
            code = f"{n}.{uuid.uuid4().hex}"
            self._codes[code] = _Install(
                team_id=team_id,
                team_name=team_name or f"Workspace {team_id}",
                scopes=scopes,
                installer=installer,
                token=f"xoxb-{team_id}-{n}-{uuid.uuid4().hex[:16]}",
                bot_user_id=f"UB{team_id}",
                bot_id=f"BB{team_id}",
            )
        return code

    def token_of(self, team_id: str) -> str | None:
        """The bot token issued to `team_id` by its latest install."""
        with self._lock:
            issued = [t for t, install in self._installed_by_token.items() if install.team_id == team_id]
        return issued[-1] if issued else None

    def team_of(self, call_or_token: Call | str | None) -> str | None:
        """Which workspace's bot made a call (or owns a token); None for a call without a token."""
        token = call_or_token.token if isinstance(call_or_token, Call) else call_or_token
        if not token:
            return None
        with self._lock:
            install = self._installed_by_token.get(token)
        return install.team_id if install is not None else self.team_id

    def uninstall(self, team_id: str) -> None:
        """The workspace removed the app: its tokens stop working (token_revoked)."""
        with self._lock:
            for token, install in self._installed_by_token.items():
                if install.team_id == team_id:
                    self._revoked_tokens.add(token)

    def _answer_oauth_v2_access(self, request: _Handler, params: dict[str, Any], arrived: float) -> None:
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        basic = _basic(request.headers.get("Authorization"))
        if basic is not None:
            client_id, client_secret = basic
        recorded = {k: v for k, v in params.items() if k != "client_secret"}
        with self._lock:
            install = self._codes.pop(str(params.get("code") or ""), None)
            if self._oauth_credentials is None or client_id != self._oauth_credentials[0]:
                result: dict[str, Any] = {"ok": False, "error": "invalid_client_id"}
            elif client_secret != self._oauth_credentials[1]:
                result = {"ok": False, "error": "bad_client_secret"}
            elif install is None:
                result = {"ok": False, "error": "invalid_code"}
            else:
                self._installed_by_token[install.token] = install
                result = {
                    "ok": True,
                    "app_id": "A1",
                    "authed_user": {"id": install.installer},
                    "scope": install.scopes,
                    "token_type": "bot",
                    "access_token": install.token,
                    "bot_user_id": install.bot_user_id,
                    "team": {"id": install.team_id, "name": install.team_name},
                    "enterprise": None,
                    "is_enterprise_install": False,
                }
        self._record("oauth.v2.access", recorded, arrived, 200, result.get("error"))
        _send_json(request, 200, result)

    # ---- seeding ---------------------------------------------------------------------------

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str,
        ts: str | None = None,
        thread_ts: str | None = None,
        blocks: list[Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Message:
        """Store a message as if a person had posted it, so history/replies return it."""
        message = Message(
            channel=channel,
            ts=ts or self.ts_clock.next(),
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            metadata=metadata,
            user=user,
        )
        with self._lock:
            self._messages.append(message)
        return copy.deepcopy(message)

    # ---- queries ---------------------------------------------------------------------------

    def call_count(self, method: str | None = None, *, status: int | None = None) -> int:
        """How many calls (of `method`, answered with `status`), without copying them."""
        with self._lock:
            return sum(
                1
                for c in self._calls
                if (method is None or c.method == method) and (status is None or c.status == status)
            )

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [copy.deepcopy(c) for c in self._calls if method is None or c.method == method]

    def messages(self, channel: str | None = None) -> list[Message]:
        with self._lock:
            return [copy.deepcopy(m) for m in self._messages if channel is None or m.channel == channel]

    def message(self, channel: str, ts: str) -> Message | None:
        with self._lock:
            found = self._find_message(channel, ts)
            return copy.deepcopy(found) if found else None

    def dm_channel(self, user_id: str) -> str:
        return _dm_id(user_id)

    def dms_to(self, user_id: str) -> list[Message]:
        return self.messages(_dm_id(user_id))

    def thread(self, channel: str, ts: str) -> list[Message]:
        with self._lock:
            return [
                copy.deepcopy(m)
                for m in self._messages
                if m.channel == channel and m.thread_ts == ts and m.ts != ts
            ]

    @property
    def reactions(self) -> list[Reaction]:
        with self._lock:
            return [copy.deepcopy(r) for r in self._reactions]

    @property
    def ephemerals(self) -> list[Ephemeral]:
        with self._lock:
            return [copy.deepcopy(e) for e in self._ephemerals]

    @property
    def responses(self) -> list[Response]:
        with self._lock:
            return [copy.deepcopy(r) for r in self._responses]

    @property
    def views(self) -> list[Call]:
        with self._lock:
            return [copy.deepcopy(v) for v in self._views]

    def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01, what: str = ""
    ) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                break
            time.sleep(interval)
        label = what or getattr(predicate, "__name__", "condition")
        raise AssertionError(f"timed out waiting for {label} after {timeout}s; {self.describe_calls()}")

    def describe_calls(self, last: int = 15) -> str:
        with self._lock:
            calls = list(self._calls)
        if not calls:
            return "no Slack API calls were made"
        shown = ", ".join(f"{c.method}->{c.status}{'/' + c.error if c.error else ''}" for c in calls[-last:])
        more = f" (last {last} of {len(calls)})" if len(calls) > last else ""
        return f"calls{more}: {shown}"

    def reset(self) -> None:
        """Forget everything recorded and every fault; users and channels stay configured."""
        self._clear_recorded()

    # ---- interactivity: triggers, views, rejections ----------------------------------------

    def issue_trigger(self, user: str, *, view_id: str | None = None) -> str:
        """A fresh trigger_id for an interaction by `user` (from inside view `view_id`, if any):
        views.open / views.push take it once, within trigger_ttl seconds, as Slack does."""
        trigger_id = f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"
        with self._lock:
            self._triggers[trigger_id] = _Trigger(user=user, issued=time.monotonic(), view_id=view_id)
        return trigger_id

    @property
    def rejected(self) -> list[Rejection]:
        """Every call refused for its payload: invalid blocks or views, spent or unknown trigger
        ids, a bad response_action. The `slack` fixture fails a test that leaves any here."""
        with self._lock:
            return [copy.deepcopy(r) for r in self._rejected]

    def expect_rejections(self) -> None:
        """This test provokes rejections on purpose; don't fail it for them."""
        with self._lock:
            self._rejections_expected = True

    @property
    def rejections_expected(self) -> bool:
        with self._lock:
            return self._rejections_expected

    def reject(self, method: str, error: str, reason: str, params: dict[str, Any] | None = None) -> None:
        """Record a refusal (the stand-in's methods and the events client call this)."""
        with self._lock:
            self._rejected.append(Rejection(method, error, reason, copy.deepcopy(params or {}), time.time()))

    def view(self, view_id: str) -> StoredView | None:
        with self._lock:
            stored = self._stored_views.get(view_id)
            return copy.deepcopy(stored) if stored is not None else None

    def all_views(self, user: str | None = None) -> list[StoredView]:
        """Every modal and Home tab ever shown (to `user`), oldest first, closed ones too."""
        with self._lock:
            return [copy.deepcopy(v) for v in self._stored_views.values() if user is None or v.user == user]

    def open_views(self, user: str | None = None) -> list[StoredView]:
        """The modals still open (for `user`), oldest first: a pushed view after its parent."""
        return [v for v in self.all_views(user) if v.type == "modal" and not v.closed]

    def last_view(self, user: str | None = None, *, callback_id: str | None = None) -> StoredView | None:
        """The modal (for `user`, with `callback_id`) that appeared or changed last, open or closed."""
        with self._lock:
            found = [
                v
                for v in self._stored_views.values()
                if v.type == "modal"
                and (user is None or v.user == user)
                and (callback_id is None or v.callback_id == callback_id)
            ]
            # Sorted by when each last changed: views.update can change an older view.
            found.sort(key=lambda v: v.changed)
            return copy.deepcopy(found[-1]) if found else None

    def home_of(self, user: str) -> StoredView | None:
        """The Home tab last published for `user`."""
        with self._lock:
            view_id = self._homes.get(user)
            return copy.deepcopy(self._stored_views[view_id]) if view_id else None

    def remember_entry(self, view_id: str, block_id: str, action_id: str, entry: dict[str, Any]) -> None:
        """What a person entered in an open view, kept for later payloads (state.values)."""
        with self._lock:
            stored = self._stored_views[view_id]
            values = stored.view.setdefault("state", {}).setdefault("values", {})
            values.setdefault(block_id, {})[action_id] = copy.deepcopy(entry)

    def view_submission_answered(self, view_id: str, status: int, answer: dict[str, Any] | None) -> None:
        """Do what Slack does with the bot's answer to a view_submission: close the view (an
        empty 200), show errors, update it, push another, or clear the whole stack."""
        if status != 200:
            return  # Slack shows its own error in the modal, which stays open
        action = (answer or {}).get("response_action")
        with self._lock:
            stored = self._stored_views[view_id]
            if action is None:
                stored.closed = True
            elif action == "clear":
                for other in self._stored_views.values():
                    if other.view.get("root_view_id") == stored.view.get("root_view_id"):
                        other.closed = True
            elif action == "errors":
                self._check_errors(stored, (answer or {}).get("errors"))
            elif action in ("update", "push"):
                view = (answer or {}).get("view")
                problems = view_problems(view)
                if not problems and view.get("type") != "modal":
                    problems = [_problem("response_action views must be modals", "/view/type")]
                if problems:
                    self.reject(f"response_action={action}", "invalid_arguments", "; ".join(problems), answer)
                elif action == "update":
                    self._replace_view(stored, view)
                else:
                    self._push_view(stored, view, method="response_action")
            else:
                self.reject("view_submission", "invalid_response_action", f"unknown {action!r}", answer)

    def close_view(self, view_id: str, *, is_cleared: bool = False) -> None:
        """The person closed the modal (with is_cleared, the whole stack)."""
        with self._lock:
            stored = self._stored_views[view_id]
            stored.closed = True
            if is_cleared:
                for other in self._stored_views.values():
                    if other.view.get("root_view_id") == stored.view.get("root_view_id"):
                        other.closed = True

    def _check_errors(self, stored: StoredView, errors: Any) -> None:
        # Slack shows each error under its input block; a key naming anything else makes the
        # whole submission fail in the person's face ("We had some trouble connecting").
        inputs = {
            b.get("block_id") for b in stored.blocks if isinstance(b, dict) and b.get("type") == "input"
        }
        if not isinstance(errors, dict) or not errors:
            self.reject("view_submission", "invalid_errors", "response_action=errors needs errors", {})
            return
        unknown = sorted(str(k) for k in errors if k not in inputs)
        if unknown:
            reason = (
                f"errors for {unknown}, which are not input blocks of the view (inputs: {sorted(inputs)})"
            )
            self.reject("view_submission", "invalid_errors", reason, {"errors": errors})

    def message_payload(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The message as Slack puts it in an interaction payload: as conversations.history
        would show it, with Slack's generated block_id / action_id filled in."""
        with self._lock:
            message = self._find_message(channel, ts)
            if message is None:
                return None
            out = self._message_dict(message)
            if message.blocks is not None:
                out["blocks"] = with_slack_ids(message.blocks, f"{channel}:{ts}:{len(message.history)}")
            return out

    def current_ephemeral(self, message_ts: str) -> Ephemeral | None:
        with self._lock:
            for ephemeral in self._ephemerals:
                if ephemeral.message_ts == message_ts:
                    return copy.deepcopy(ephemeral)
        return None

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

    # ---- HTTP handling ---------------------------------------------------------------------

    def _handle(self, request: _Handler) -> None:
        arrived = time.time()
        url = urllib.parse.urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length > 0 else b""

        if url.path.startswith("/respond/") and request.command == "POST":
            self._handle_response_url(request, url.path, raw, arrived)
            return
        if not url.path.startswith("/api/"):
            _send(request, 404, b"not found", "text/plain")
            return

        method = url.path[len("/api/") :].strip("/")
        try:
            params = _parse_params(url.query, raw, request.headers.get("Content-Type", ""))
        except ValueError:
            params = {}
            self._record(method, params, arrived, 200, "invalid_json")
            _send_json(request, 200, {"ok": False, "error": "invalid_json"})
            return
        if method == "oauth.v2.access":
            self._answer_oauth_v2_access(request, params, arrived)
            return
        token = _bearer(request.headers.get("Authorization")) or params.pop("token", None)

        with self._lock:
            down = self._down
            pause = self._delays.get(method, self._delays.get("*", 0.0))
        if down:
            self._record(method, params, arrived, 0, "connection_reset")
            _reset_connection(request)
            return
        if pause:
            time.sleep(pause)

        fault = self._take_fault(method, params)
        if fault is not None:
            self._answer_fault(request, method, params, arrived, fault)
            return
        retry_after = self._over_limit(method, params, token)
        if retry_after is not None:
            self._record(method, params, arrived, 429, "ratelimited", token=token)
            _send_json(request, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
            return

        if method == "apps.connections.open":
            result = self._open_socket_connection(token)
        elif not token:
            result = {"ok": False, "error": "not_authed"}
        elif not str(token).startswith("xoxb-"):
            result = {"ok": False, "error": "invalid_auth"}
        else:
            result = self._dispatch(method, params, token)
        self._record(method, params, arrived, 200, result.get("error"), token=token)
        with self._lock:
            answer_pause = self._answer_delays.get(method, 0.0)
        if answer_pause:
            time.sleep(answer_pause)
        _send_json(request, 200, result)

    def _over_limit(self, method: str, params: dict[str, Any], token: str | None) -> int | None:
        """Whole seconds to wait when this call is over its rate limit, else None (and the call
        counts against it)."""
        with self._lock:
            limiter = self._limiter
            if limiter is None or not token:
                return None
            team = self.team_of(token) or self.team_id
            wait = limiter.wait(method, team, rate_limit_channel(params.get("channel")), self._limit_clock())
        return max(1, math.ceil(wait)) if wait > 0 else None

    def _answer_fault(
        self, request: _Handler, method: str, params: dict[str, Any], arrived: float, fault: _Fault
    ) -> None:
        if fault.status == 429:
            retry_after = fault.retry_after or 1
            self._record(method, params, arrived, 429, "ratelimited")
            _send_json(request, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
        elif fault.status == 200 and fault.error:
            self._record(method, params, arrived, 200, fault.error)
            _send_json(request, 200, {"ok": False, "error": fault.error})
        else:
            error = fault.error or "internal_error"
            self._record(method, params, arrived, fault.status, error)
            _send_json(request, fault.status, {"ok": False, "error": error})

    def _handle_response_url(self, request: _Handler, path: str, raw: bytes, arrived: float) -> None:
        try:
            body = json.loads(raw.decode("utf-8") or "{}")
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            # Still recorded, so a test can see the bot sent something malformed.
            with self._lock:
                self._responses.append(Response(path, {"_raw": raw.decode("utf-8", "replace")}, arrived))
            _send(request, 400, b"invalid_payload", "text/plain")
            return
        problems = block_problems(body["blocks"]) if "blocks" in body else []
        if problems:
            # Slack shows nothing and answers 400 with the error as plain text.
            self.reject("response_url", "invalid_blocks", "; ".join(problems), body)
            _send(request, 400, b"invalid_blocks", "text/plain")
            return
        with self._lock:
            target = self._response_targets.get(path) or {}
            message_ts = self._apply_response(target, body) or self.ts_clock.next()
            self._responses.append(
                Response(path, body, arrived, target.get("channel"), target.get("user"), message_ts)
            )
        _send(request, 200, b"ok", "text/html")

    def _apply_response(self, target: dict[str, Any], body: dict[str, Any]) -> str | None:
        """replace_original / delete_original on the message an interaction came from; the ts
        the response now shows under when it takes that message's place."""
        original_ts = target.get("message_ts")
        replace, delete = _truthy(body.get("replace_original")), _truthy(body.get("delete_original"))
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

    def _open_socket_connection(self, token: str | None) -> dict[str, Any]:
        """apps.connections.open takes only an app-level token; the bot's xoxb- is refused."""
        if not token:
            return {"ok": False, "error": "not_authed"}
        if not str(token).startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": self.socket_mode.new_url()}

    def _record(
        self,
        method: str,
        params: dict[str, Any],
        at: float,
        status: int,
        error: Any,
        token: str | None = None,
    ) -> None:
        with self._lock:
            self._calls.append(Call(method, copy.deepcopy(params), at, status, error, token))

    def _dispatch(self, method: str, params: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        handler = _METHODS.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        try:
            with self._lock:
                if token in self._revoked_tokens:
                    raise _ApiError("token_revoked")
                # Methods answer as the workspace whose token was used (auth.test, users.info).
                self._caller_token = token
                return {"ok": True, **handler(self, params)}
        except _Rejected as error:
            self.reject(method, error.code, "; ".join(error.problems), params)
            return {"ok": False, "error": error.code, "response_metadata": {"messages": error.problems}}
        except _ApiError as error:
            return {"ok": False, "error": error.code}

    # ---- methods (called with the lock held) -----------------------------------------------

    def _resolve_channel(self, channel: Any) -> str:
        if not channel or not isinstance(channel, str):
            raise _ApiError("channel_not_found")
        # Slack accepts a user id for chat.* and posts into the app's DM with that user.
        if channel.startswith(("U", "W")):
            return _dm_id(channel)
        state = self._channels.get(channel)
        if state is not None and not state.exists:
            raise _ApiError("channel_not_found")
        return channel

    def _require_member(self, channel: str) -> None:
        state = self._channels.get(channel)
        if state is not None and not state.member:
            raise _ApiError("not_in_channel")

    def _find_message(self, channel: str, ts: str) -> Message | None:
        for message in self._messages:
            if message.channel == channel and message.ts == ts:
                return message
        return None

    def _message_dict(self, message: Message, *, include_metadata: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "ts": message.ts, "text": message.text}
        if message.user:
            out["user"] = message.user
        if message.bot_id:
            out["bot_id"] = message.bot_id
            out["app_id"] = "A1"
        out["team"] = self.team_id
        if message.username:
            out["username"] = message.username
        if message.thread_ts:
            out["thread_ts"] = message.thread_ts
            if message.is_reply:
                parent = self._find_message(message.channel, message.thread_ts)
                if parent is not None and parent.user:
                    out["parent_user_id"] = parent.user
                if message.reply_broadcast:
                    out["subtype"] = "thread_broadcast"
        replies = [
            m
            for m in self._messages
            if m.channel == message.channel and m.is_reply and m.thread_ts == message.ts
        ]
        if replies and not message.is_reply:
            out["thread_ts"] = message.ts
            out["reply_count"] = len(replies)
            out["reply_users"] = sorted({r.user for r in replies if r.user})
            out["latest_reply"] = replies[-1].ts
        if message.blocks is not None:
            out["blocks"] = copy.deepcopy(message.blocks)
        if message.attachments is not None:
            out["attachments"] = copy.deepcopy(message.attachments)
        if message.metadata is not None and include_metadata:
            out["metadata"] = copy.deepcopy(message.metadata)
        if message.history:
            out["edited"] = {"user": message.user, "ts": message.history[-1]["edited_ts"]}
        return out

    def _m_api_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"args": params}

    def _m_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        team = self._installed_by_token.get(self._caller_token or "")
        if team is not None:
            return {
                "url": f"https://{team.team_id.lower()}.slack.com/",
                "team": team.team_name,
                "user": "casekeeper",
                "team_id": team.team_id,
                "user_id": team.bot_user_id,
                "bot_id": team.bot_id,
                "is_enterprise_install": False,
            }
        return {
            "url": "https://casekeeper-test.slack.com/",
            "team": "Casekeeper Test",
            "user": "casekeeper",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _content(self, params: dict[str, Any]) -> tuple[str, list[Any] | None, list[Any] | None]:
        text = params.get("text")
        blocks = params.get("blocks")
        attachments = params.get("attachments")
        if blocks is not None:
            problems = block_problems(blocks, max_blocks=MAX_MESSAGE_BLOCKS)
            if problems:
                raise _Rejected("invalid_blocks", problems)
        if attachments is not None and not isinstance(attachments, list):
            raise _ApiError("invalid_attachments")
        text = text if isinstance(text, str) else ("" if text is None else str(text))
        if len(text) > MAX_MESSAGE_TEXT:
            raise _Rejected(
                "msg_too_long", [f"text is {len(text):,} characters; Slack takes {MAX_MESSAGE_TEXT:,}"]
            )
        return text, blocks, attachments

    def _m_chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        self._require_member(channel)
        text, blocks, attachments = self._content(params)
        if not text and not blocks and not attachments:
            raise _ApiError("no_text")
        metadata = params.get("metadata")
        if metadata is not None and not (isinstance(metadata, dict) and "event_type" in metadata):
            raise _ApiError("invalid_metadata_format")
        thread_ts = params.get("thread_ts") or None
        message = Message(
            channel=channel,
            ts=self.ts_clock.next(),
            text=text,
            blocks=copy.deepcopy(blocks),
            thread_ts=str(thread_ts) if thread_ts else None,
            metadata=copy.deepcopy(metadata),
            user=self.bot_user_id,
            bot_id=self.bot_id,
            reply_broadcast=_truthy(params.get("reply_broadcast", False)),
            username=params.get("username"),
            icon_emoji=params.get("icon_emoji"),
            attachments=copy.deepcopy(attachments),
            params=copy.deepcopy(params),
        )
        self._messages.append(message)
        return {"channel": channel, "ts": message.ts, "message": self._message_dict(message)}

    def _m_chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        self._require_member(channel)
        user = params.get("user")
        if not user:
            raise _ApiError("user_not_in_channel")
        text, blocks, attachments = self._content(params)
        if not text and not blocks and not attachments:
            raise _ApiError("no_text")
        message_ts = self.ts_clock.next()
        thread_ts = params.get("thread_ts") or None
        self._ephemerals.append(
            Ephemeral(
                channel,
                str(user),
                text,
                copy.deepcopy(blocks),
                str(thread_ts) if thread_ts else None,
                message_ts,
            )
        )
        return {"message_ts": message_ts}

    def _m_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        message = self._find_message(channel, str(params.get("ts") or ""))
        if message is None:
            raise _ApiError("message_not_found")
        text, blocks, attachments = self._content(params)
        if "text" not in params and blocks is None and attachments is None and "metadata" not in params:
            raise _ApiError("no_text")
        message.history.append(
            {
                "text": message.text,
                "blocks": copy.deepcopy(message.blocks),
                "metadata": copy.deepcopy(message.metadata),
                "at": time.time(),
                "edited_ts": self.ts_clock.next(),
            }
        )
        # Slack keeps whatever the update leaves out (blocks, metadata) and replaces what it names.
        if "text" in params:
            message.text = text
        if blocks is not None:
            message.blocks = copy.deepcopy(blocks)
        if attachments is not None:
            message.attachments = copy.deepcopy(attachments)
        if "metadata" in params:
            message.metadata = copy.deepcopy(params["metadata"])
        return {
            "channel": channel,
            "ts": message.ts,
            "text": message.text,
            "message": self._message_dict(message),
        }

    def _m_chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        message = self._find_message(channel, str(params.get("ts") or ""))
        if message is None:
            raise _ApiError("message_not_found")
        self._messages.remove(message)
        return {"channel": channel, "ts": message.ts}

    def _m_chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("message_ts") or "")
        if not ts:
            raise _ApiError("message_not_found")
        return {"channel": channel, "permalink": f"{self.root_url}/archives/{channel}/p{ts.replace('.', '')}"}

    def _m_reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        timestamp = str(params.get("timestamp") or "")
        name = str(params.get("name") or "")
        if not timestamp:
            raise _ApiError("no_item_specified")
        if not name:
            raise _ApiError("invalid_name")
        # The reacted-to message is often a person's reply the stand-in never saw, so it is not
        # required to exist here.
        reaction = Reaction(channel, timestamp, name)
        if reaction in self._reactions:
            raise _ApiError("already_reacted")
        self._reactions.append(reaction)
        return {}

    def _m_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user") or "")
        if not user_id.startswith(("U", "W")):
            raise _ApiError("user_not_found")
        user = self._users.get(user_id) or _User(
            user_id, user_id.lower(), user_id.lower().title(), self.default_tz
        )
        zone = ZoneInfo(user.tz)
        now = datetime.now(zone)
        offset = now.utcoffset()
        team_id = self.team_of(self._caller_token) or self.team_id
        return {
            "user": {
                "id": user.id,
                "team_id": team_id,
                "name": user.name,
                "deleted": False,
                "real_name": user.real_name,
                "tz": user.tz,
                "tz_label": now.tzname() or user.tz,
                "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
                "is_bot": user.is_bot,
                "is_admin": False,
                "is_app_user": False,
                "profile": {
                    "real_name": user.real_name,
                    "real_name_normalized": user.real_name,
                    "display_name": user.name,
                    "display_name_normalized": user.name,
                    "email": user.email or f"{user.name}@example.com",
                    "team": self.team_id,
                    "status_text": user.status_text,
                    "status_emoji": user.status_emoji,
                },
            }
        }

    def _m_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            return {"channel": {"id": str(params["channel"])}}
        users = params.get("users")
        if isinstance(users, str):
            users = [u.strip() for u in users.split(",") if u.strip()]
        if not users:
            raise _ApiError("users_list_not_supplied")
        for user in users:
            if not str(user).startswith(("U", "W")):
                raise _ApiError("user_not_found")
        if len(users) == 1:
            return {"channel": {"id": _dm_id(users[0]), "is_im": True, "user": users[0]}}
        digest = hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:10].upper()
        return {"channel": {"id": "G" + digest, "is_mpim": True}}

    def _m_conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        if not channel:
            raise _ApiError("channel_not_found")
        if channel.startswith(("D", "G", "U")):
            raise _ApiError("method_not_supported_for_channel_type")
        state = self._channels.setdefault(channel, _Channel())
        if not state.exists:
            raise _ApiError("channel_not_found")
        state.member = True
        return {
            "channel": {
                "id": channel,
                "name": state.name or channel.lower(),
                "is_channel": True,
                "is_member": True,
            }
        }

    def _readable_channel(self, params: dict[str, Any]) -> str:
        channel = self._resolve_channel(params.get("channel"))
        self._require_member(channel)
        return channel

    def _m_conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._readable_channel(params)
        include_metadata = _truthy(params.get("include_all_metadata", False))
        selected = [
            m
            for m in self._messages
            if m.channel == channel and (not m.is_reply or m.reply_broadcast) and _in_window(m.ts, params)
        ]
        selected.reverse()  # newest first, as Slack returns history
        selected = selected[: _limit(params)]
        return {
            "messages": [self._message_dict(m, include_metadata=include_metadata) for m in selected],
            "has_more": False,
            "pin_count": 0,
            "response_metadata": {"next_cursor": ""},
        }

    def _m_conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._readable_channel(params)
        ts = str(params.get("ts") or "")
        if not ts:
            raise _ApiError("thread_not_found")
        include_metadata = _truthy(params.get("include_all_metadata", False))
        # Slack always puts the parent first, whatever oldest/latest say.
        parent = self._find_message(channel, ts)
        replies = [
            m
            for m in self._messages
            if m.channel == channel and m.is_reply and m.thread_ts == ts and _in_window(m.ts, params)
        ]
        found = ([parent] if parent else []) + replies
        found = found[: _limit(params)]
        return {
            "messages": [self._message_dict(m, include_metadata=include_metadata) for m in found],
            "has_more": False,
            "response_metadata": {"next_cursor": ""},
        }

    # Views. Slack keeps each one by id with a hash that changes on every update; a stale hash
    # is refused (hash_conflict), so two updates racing cannot silently overwrite each other.

    def _view_param(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view")
        if not isinstance(view, dict):
            raise _Rejected("invalid_arguments", [_problem("view must be a JSON object", "/view")])
        return view

    def _valid_view(self, view: dict[str, Any], kind: str) -> None:
        problems = view_problems(view)
        if not problems and view.get("type") != kind:
            problems = [_problem(f"this method takes a {kind} view, not {view.get('type')!r}", "/view/type")]
        if problems:
            raise _Rejected("invalid_arguments", problems)

    def _take_trigger(self, params: dict[str, Any]) -> _Trigger:
        trigger_id = str(params.get("trigger_id") or params.get("interactivity_pointer") or "")
        if not trigger_id:
            raise _Rejected("invalid_arguments", [_problem("trigger_id is required", "/trigger_id")])
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            raise _Rejected("invalid_trigger_id", [f"trigger_id {trigger_id!r} was never issued"])
        if trigger.used:
            raise _Rejected("exchanged_trigger_id", [f"trigger_id {trigger_id!r} was already used"])
        age = time.monotonic() - trigger.issued
        if self.trigger_ttl is not None and age > self.trigger_ttl:
            raise _Rejected(
                "expired_trigger_id", [f"trigger_id used {age:.1f}s after the interaction; Slack allows 3s"]
            )
        return trigger

    def _check_external_id(self, view: dict[str, Any], keep: str | None = None) -> None:
        external_id = view.get("external_id")
        if not external_id:
            return
        for other in self._stored_views.values():
            if other.id != keep and other.view.get("external_id") == external_id:
                raise _ApiError("duplicate_external_id")

    def _new_hash(self) -> str:
        return f"{int(time.time())}.{uuid.uuid4().hex[:8]}"

    def _build_view(
        self, view: dict[str, Any], view_id: str, *, root: str, previous: str | None
    ) -> dict[str, Any]:
        """A view as Slack answers and stores it: the app's fields plus Slack's own."""
        view_hash = self._new_hash()
        return {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": with_slack_ids(view.get("blocks"), f"{view_id}:{view_hash}"),
            "private_metadata": view.get("private_metadata") or "",
            "callback_id": view.get("callback_id") or "",
            "state": {"values": {}},
            "hash": view_hash,
            "title": copy.deepcopy(view.get("title")),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": copy.deepcopy(view.get("close")),
            "submit": copy.deepcopy(view.get("submit")),
            "previous_view_id": previous,
            "root_view_id": root,
            "app_id": "A1",
            "external_id": view.get("external_id") or "",
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def _store_view(
        self, view: dict[str, Any], user: str, method: str, *, parent: StoredView | None = None
    ) -> StoredView:
        self._counter += 1
        view_id = f"V{self._counter:08d}"
        root = parent.view["root_view_id"] if parent is not None else view_id
        built = self._build_view(view, view_id, root=root, previous=parent.id if parent else None)
        stored = StoredView(id=view_id, user=user, view=built, method=method, changed=self._counter)
        self._stored_views[view_id] = stored
        return stored

    def _replace_view(self, stored: StoredView, view: dict[str, Any]) -> None:
        self._check_external_id(view, keep=stored.id)
        stored.history.append(copy.deepcopy(stored.view))
        built = self._build_view(
            view, stored.id, root=stored.view["root_view_id"], previous=stored.view["previous_view_id"]
        )
        # Slack keeps what was entered in elements whose block_id and action_id survive the
        # update (generated ids change with every version, so those are lost, as in Slack).
        surviving = {(block_id, e.get("action_id")) for block_id, e in stateful_elements(built["blocks"])}
        kept: dict[str, Any] = {}
        for block_id, actions in stored.state.items():
            for action_id, entry in actions.items():
                if (block_id, action_id) in surviving:
                    kept.setdefault(block_id, {})[action_id] = entry
        built["state"] = {"values": kept}
        stored.view = built
        self._counter += 1
        stored.changed = self._counter

    def _push_view(self, parent: StoredView, view: dict[str, Any], method: str) -> StoredView:
        stack = [
            v for v in self._stored_views.values() if v.view["root_view_id"] == parent.view["root_view_id"]
        ]
        if len([v for v in stack if not v.closed]) >= 3:
            raise _Rejected("push_limit_reached", ["a modal stack holds at most 3 views"])
        self._check_external_id(view)
        return self._store_view(view, parent.user, method, parent=parent)

    def _record_view_call(self, method: str, params: dict[str, Any]) -> None:
        self._views.append(Call(method, copy.deepcopy(params), time.time(), 200))

    def _m_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        view = self._view_param(params)
        trigger = self._take_trigger(params)
        self._valid_view(view, "modal")
        self._check_external_id(view)
        trigger.used = True
        stored = self._store_view(view, trigger.user, "views.open")
        self._record_view_call("views.open", params)
        return {"view": copy.deepcopy(stored.view)}

    def _m_views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        view = self._view_param(params)
        trigger = self._take_trigger(params)
        self._valid_view(view, "modal")
        parent = self._stored_views.get(trigger.view_id or "")
        if parent is None or parent.closed or parent.type != "modal":
            # Our reading: only an interaction inside an open modal gives a stack to push onto.
            raise _Rejected("not_found", ["views.push needs a trigger_id from inside an open modal"])
        trigger.used = True
        stored = self._push_view(parent, view, "views.push")
        self._record_view_call("views.push", params)
        return {"view": copy.deepcopy(stored.view)}

    def _m_views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view = self._view_param(params)
        view_id, external_id = params.get("view_id"), params.get("external_id")
        if not view_id and not external_id:
            raise _Rejected("invalid_arguments", [_problem("view_id or external_id is required", "/view_id")])
        if view_id:
            stored = self._stored_views.get(str(view_id))
        else:
            stored = next(
                (v for v in self._stored_views.values() if v.view.get("external_id") == external_id), None
            )
        if stored is None or stored.closed:
            raise _ApiError("not_found")
        if params.get("hash") and params["hash"] != stored.hash:
            raise _ApiError("hash_conflict")
        self._valid_view(view, stored.type)
        self._replace_view(stored, view)
        self._record_view_call("views.update", params)
        return {"view": copy.deepcopy(stored.view)}

    def _m_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        view = self._view_param(params)
        user = str(params.get("user_id") or "")
        if not user:
            raise _Rejected("invalid_arguments", [_problem("user_id is required", "/user_id")])
        if not user.startswith(("U", "W")):
            raise _ApiError("user_not_found")
        self._valid_view(view, "home")
        current = self._stored_views.get(self._homes.get(user, ""))
        if current is not None and params.get("hash") and params["hash"] != current.hash:
            raise _ApiError("hash_conflict")
        if current is None:
            self._check_external_id(view)
            current = self._store_view(view, user, "views.publish")
            self._homes[user] = current.id
        else:
            self._replace_view(current, view)
        self._record_view_call("views.publish", params)
        return {"view": copy.deepcopy(current.view)}


_METHODS: dict[str, Callable[[FakeSlackAPI, dict[str, Any]], dict[str, Any]]] = {
    "api.test": FakeSlackAPI._m_api_test,
    "auth.test": FakeSlackAPI._m_auth_test,
    "chat.postMessage": FakeSlackAPI._m_chat_post_message,
    "chat.postEphemeral": FakeSlackAPI._m_chat_post_ephemeral,
    "chat.update": FakeSlackAPI._m_chat_update,
    "chat.delete": FakeSlackAPI._m_chat_delete,
    "chat.getPermalink": FakeSlackAPI._m_chat_get_permalink,
    "reactions.add": FakeSlackAPI._m_reactions_add,
    "users.info": FakeSlackAPI._m_users_info,
    "conversations.open": FakeSlackAPI._m_conversations_open,
    "conversations.join": FakeSlackAPI._m_conversations_join,
    "conversations.history": FakeSlackAPI._m_conversations_history,
    "conversations.replies": FakeSlackAPI._m_conversations_replies,
    "views.open": FakeSlackAPI._m_views_open,
    "views.publish": FakeSlackAPI._m_views_publish,
    "views.push": FakeSlackAPI._m_views_push,
    "views.update": FakeSlackAPI._m_views_update,
}


def _in_window(ts: str, params: dict[str, Any]) -> bool:
    """Slack's oldest/latest bounds: exclusive unless inclusive=true."""
    value = ts_micros(ts)
    if value is None:
        return False
    inclusive = _truthy(params.get("inclusive", False))
    oldest = ts_micros(params.get("oldest"))
    latest = ts_micros(params.get("latest"))
    if oldest is not None and (value < oldest or (value == oldest and not inclusive)):
        return False
    return not (latest is not None and (value > latest or (value == latest and not inclusive)))


def _limit(params: dict[str, Any]) -> int:
    try:
        limit = int(params.get("limit") or 100)
    except (TypeError, ValueError):
        limit = 100
    return max(1, min(limit, 1000))


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _basic(header: str | None) -> tuple[str, str] | None:
    """HTTP Basic credentials (how slack_sdk sends client_id:client_secret to oauth.v2.access)."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password


def _parse_params(query: str, raw: bytes, content_type: str) -> dict[str, Any]:
    """Web API arguments from the query string and a form or JSON body, as one dict."""
    params: dict[str, Any] = _form(query)
    if raw:
        if "application/json" in content_type.lower():
            body = json.loads(raw.decode("utf-8"))
            if not isinstance(body, dict):
                raise ValueError("JSON body must be an object")
            params.update(body)
        else:
            params.update(_form(raw.decode("utf-8")))
    for key in _JSON_ARGUMENTS & params.keys():
        value = params[key]
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                decoded = json.loads(value)
            except ValueError:
                continue
            if isinstance(decoded, list | dict):
                params[key] = decoded
    return params


def _form(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, values in urllib.parse.parse_qs(text, keep_blank_values=True).items():
        out[key] = values[0] if len(values) == 1 else values
    return out


def _send(
    request: _Handler, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
) -> None:
    try:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(body)
    except OSError:
        pass  # the client hung up (its own timeout); nothing to tell it


def _send_json(
    request: _Handler, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    _send(request, status, json.dumps(payload).encode("utf-8"), "application/json; charset=utf-8", headers)


def _reset_connection(request: _Handler) -> None:
    # SO_LINGER with a zero timeout turns close() into a TCP RST, which is what a client sees
    # when a load balancer or the network drops a connection mid-request.
    request.close_connection = True
    try:
        request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        request.connection.close()
    except OSError:
        pass


# --------------------------------------------------------------------------------------------
# Socket Mode: Slack's end of the WebSocket
# --------------------------------------------------------------------------------------------


class SocketModeServer:
    """Slack's Socket Mode on 127.0.0.1. `apps.connections.open` hands out a one-use
    ws:// URL; a client that connects is greeted with `hello`, then gets the envelopes a test
    pushes, and answers each with an ack (`{"envelope_id", "payload"?}`) kept for the test.

    The WebSocket protocol itself (handshake, framing, ping/pong, close) is left to the
    `websockets` library rather than written here, imported only when a client first asks for
    a connection, so `make demo` and the HTTP tests run without it."""

    def __init__(self, app_id: str):
        self.app_id = app_id
        # Guards the state below; notified whenever a connection or an ack comes or goes.
        self._lock = threading.Condition()
        self._server: Any = None
        self._tickets: set[str] = set()
        self._connections: list[Any] = []
        self._opened = 0
        self._acks: dict[str, dict[str, Any]] = {}

    def new_url(self) -> str:
        ticket = uuid.uuid4().hex
        with self._lock:
            if self._server is None:
                self._server = self._start()
            self._tickets.add(ticket)
            port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket={ticket}"

    def _start(self) -> Any:
        from websockets.sync.server import serve

        server = serve(self._serve, "127.0.0.1", 0, process_request=self._check_ticket, close_timeout=1)
        threading.Thread(target=server.serve_forever, name="fake-slack-socket", daemon=True).start()
        return server

    def stop(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.shutdown()  # closes every connection (1001 going away) and waits for them

    @property
    def connections(self) -> int:
        """How many are open now."""
        with self._lock:
            return len(self._connections)

    @property
    def connections_opened(self) -> int:
        """How many were ever opened (a reconnect adds one)."""
        with self._lock:
            return self._opened

    def push(self, kind: str, payload: dict[str, Any], *, retry_attempt: int | None = None) -> str:
        """Send an envelope ("slash_commands", "events_api", "interactive") to the newest
        connection, as Slack picks one of the app's connections; its envelope_id."""
        envelope: dict[str, Any] = {
            "envelope_id": str(uuid.uuid4()),
            "type": kind,
            "payload": payload,
            # Slack takes a response payload in the ack of commands and interactions only.
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = "timeout" if retry_attempt else ""
        with self._lock:
            if not self._connections:
                raise AssertionError("no Socket Mode connection is open")
            connection = self._connections[-1]
        connection.send(json.dumps(envelope))
        return str(envelope["envelope_id"])

    def ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The client's ack of an envelope, once it arrives."""
        with self._lock:
            if not self._lock.wait_for(lambda: envelope_id in self._acks, timeout):
                raise AssertionError(f"envelope {envelope_id} was not acked within {timeout}s")
            return copy.deepcopy(self._acks[envelope_id])

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's notice that it will close the connections soon: clients open new ones."""
        notice = json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}})
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.send(notice)

    def _check_ticket(self, connection: Any, request: Any) -> Any:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.path).query)
        ticket = (query.get("ticket") or [""])[0]
        with self._lock:
            if ticket in self._tickets:
                self._tickets.discard(ticket)
                return None
        return connection.respond(401, "unknown or used ticket\n")

    def _serve(self, connection: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        with self._lock:
            count = len(self._connections) + 1
        hello = {
            "type": "hello",
            "num_connections": count,
            "connection_info": {"app_id": self.app_id},
            "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
        }
        try:
            connection.send(json.dumps(hello))
            with self._lock:
                self._connections.append(connection)
                self._opened += 1
                self._lock.notify_all()
            for text in connection:
                self._record_ack(text)
        except ConnectionClosed:
            pass  # the client went away without a close handshake, as slack_sdk's does
        finally:
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)
                self._lock.notify_all()

    def _record_ack(self, text: str | bytes) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return
        if isinstance(message, dict) and message.get("envelope_id"):
            with self._lock:
                self._acks[str(message["envelope_id"])] = message
                self._lock.notify_all()


# --------------------------------------------------------------------------------------------
# Slack calling the bot
# --------------------------------------------------------------------------------------------


def sign(signing_secret: str, body: bytes, timestamp: int) -> str:
    """Slack's request signature: v0= + hex HMAC-SHA256 over "v0:<timestamp>:<body>"."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(signing_secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


@dataclass
class Reply:
    status: int
    body: str
    json: dict[str, Any] | None
    headers: HeaderMessage
    elapsed: float


class SlackEventsClient:
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
        self._ts = api.ts_clock if api is not None else _DEFAULT_TS
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

    # ---- slash commands --------------------------------------------------------------------

    def command(
        self,
        text: str,
        *,
        user: str = "UAGENT",
        channel: str = "C1",
        command: str = "/case",
        user_name: str | None = None,
    ) -> Reply:
        return self._send_command(
            self.command_form(text, user=user, channel=channel, command=command, user_name=user_name)
        )

    def command_form(
        self,
        text: str,
        *,
        user: str = "UAGENT",
        channel: str = "C1",
        command: str = "/case",
        user_name: str | None = None,
    ) -> dict[str, str]:
        """The fields of a slash command as Slack sends them (form-encode to get the body)."""
        if self.api is not None:
            response_url = self.api.response_url("command", channel=channel, user=user)
            channel_name = self.api.channel_name(channel)
            user_name = user_name or self.api.user_name(user)
            # Registered with the stand-in: its views.open takes it once, within 3 seconds.
            trigger_id = self.api.issue_trigger(user)
        else:
            response_url = "http://127.0.0.1:9/respond"
            channel_name = "directmessage" if channel.startswith("D") else channel.lower()
            user_name = user_name or user.lower()
            trigger_id = f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"
        return {
            "token": self.VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": "casekeeper-test",
            "channel_id": channel,
            "channel_name": channel_name,
            "user_id": user,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": self.APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }

    def _send_command(self, form: dict[str, str]) -> Reply:
        return self.post(urllib.parse.urlencode(form).encode("utf-8"), "application/x-www-form-urlencoded")

    # ---- interactivity ---------------------------------------------------------------------
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
        stateful = element.get("type") in _STATE_KEYS
        if isinstance(source, StoredView):
            if stateful and self.api is not None:
                # What the person picked stays in the view: later payloads carry it in state.values.
                self.api.remember_entry(
                    stored.id, str(block["block_id"]), str(element["action_id"]), _entry_of(action)
                )
                stored = self._current_view(stored)
            payload = self._interaction_base("block_actions", actor, view_id=stored.id)
            payload["container"] = {"type": "view", "view_id": stored.id}
            payload["view"] = _view_with_state(stored)
            payload["actions"] = [action]
            return payload
        entered: dict[str, Any] = {}
        if stateful:
            entered = {str(block["block_id"]): {str(element["action_id"]): _entry_of(action)}}
        payload = self._interaction_base("block_actions", actor)
        payload["container"] = surface["container"]
        payload["channel"] = surface["channel"]
        if surface["message"] is not None:
            payload["message"] = surface["message"]
        payload["state"] = {"values": state_values(blocks, entered)}
        payload["response_url"] = surface["response_url"]
        payload["actions"] = [action]
        return payload

    def view_submission(
        self,
        view: StoredView,
        values: dict[str, Any] | None = None,
        *,
        user: str | None = None,
        check_inputs: bool = True,
    ) -> Reply:
        """A person pressing Submit; afterwards the stand-in does with the view what the bot's
        answer says (close it, show errors, update, push, clear). See view_submission_payload."""
        payload = self.view_submission_payload(view, values, user=user, check_inputs=check_inputs)
        reply = self.interactive(payload)
        if self.api is not None:
            self.api.view_submission_answered(payload["view"]["id"], reply.status, reply.json)
        return reply

    def view_submission_payload(
        self,
        view: StoredView,
        values: dict[str, Any] | None = None,
        *,
        user: str | None = None,
        check_inputs: bool = True,
    ) -> dict[str, Any]:
        """The view_submission payload for the current version of `view`, with `values`
        ({block_id: python value}, or {block_id: {action_id: value}} for a block of several
        elements; see entry_for) over whatever was entered before and the initial values.

        Slack's client refuses to submit a modal with a required input empty or text outside
        min_length/max_length; so does this, unless check_inputs=False (what a forged request
        could send)."""
        stored = self._current_view(view)
        actor = user or stored.user
        if actor != stored.user:
            raise AssertionError(f"{actor} cannot submit {stored.user}'s view {stored.id}")
        if stored.type != "modal":
            raise AssertionError(f"view {stored.id} is a {stored.type} view; only modals are submitted")
        entered = stored.state
        by_block: dict[str, list[dict[str, Any]]] = {}
        for block_id, element in stateful_elements(stored.blocks):
            by_block.setdefault(block_id, []).append(element)
        for block_id, given in (values or {}).items():
            elements = by_block.get(block_id)
            if not elements:
                raise AssertionError(
                    f"view {stored.id} has no input block {block_id!r}; it has {sorted(by_block)}"
                )
            action_ids = {str(e.get("action_id")) for e in elements}
            if isinstance(given, dict) and given and set(given) <= action_ids:
                chosen = given
            elif len(elements) == 1:
                chosen = {str(elements[0].get("action_id")): given}
            else:
                raise AssertionError(
                    f"block {block_id!r} holds {sorted(action_ids)}: give {{action_id: value}}"
                )
            for element in elements:
                action_id = str(element.get("action_id"))
                if action_id in chosen:
                    entered.setdefault(block_id, {})[action_id] = entry_for(element, chosen[action_id])
        full = state_values(stored.blocks, entered)
        if check_inputs:
            problems = submission_problems(stored.view, full)
            if problems:
                raise AssertionError(f"Slack would not let {actor} submit {stored.id}: {'; '.join(problems)}")
        if self.api is not None:
            for block_id, actions in entered.items():
                for action_id, entry in actions.items():
                    self.api.remember_entry(stored.id, block_id, action_id, entry)
        submitted = copy.deepcopy(stored.view)
        submitted["state"] = {"values": full}
        payload = self._interaction_base("view_submission", actor, view_id=stored.id)
        payload["view"] = submitted
        payload["response_urls"] = []
        return payload

    def view_closed(self, view: StoredView, *, user: str | None = None, is_cleared: bool = False) -> Reply:
        """A person closing a modal (Cancel, or the X: is_cleared closes the whole stack).
        Slack tells the app only when the view asked with notify_on_close; this always sends."""
        stored = self._current_view(view)
        actor = user or stored.user
        payload = self._interaction_base("view_closed", actor)
        payload.pop("trigger_id")
        payload["view"] = _view_with_state(stored)
        payload["is_cleared"] = is_cleared
        if self.api is not None:
            self.api.close_view(stored.id, is_cleared=is_cleared)
        return self.interactive(payload)

    def home_opened(self, user: str, tab: str = "home") -> Reply:
        """app_home_opened: `user` opened the app's Home (or Messages) tab. As in Slack, the
        event carries the Home view once one was published for them."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user,
            "channel": _dm_id(user),
            "tab": tab,
            "event_ts": self.next_ts(),
        }
        home = self.api.home_of(user) if self.api is not None else None
        if home is not None and tab == "home":
            event["view"] = _view_with_state(home)
        return self.event(event)

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
        message: dict[str, Any] | None = None
        if isinstance(source, Message):
            channel, message_ts, is_ephemeral = source.channel, source.ts, False
            if self.api is not None:
                message = self.api.message_payload(channel, message_ts)
                if message is None:
                    raise AssertionError(f"message {message_ts} in {channel} is gone")
            else:
                message = {"type": "message", "ts": message_ts, "text": source.text, "blocks": source.blocks}
            blocks = message.get("blocks")
        elif isinstance(source, Ephemeral):
            current = self.api.current_ephemeral(source.message_ts) if self.api is not None else source
            if current is None:
                raise AssertionError(f"ephemeral message {source.message_ts} is gone")
            if actor != current.user:
                raise AssertionError(f"only {current.user} sees this ephemeral message, not {actor}")
            channel, message_ts, is_ephemeral = current.channel, current.message_ts, True
            blocks = with_slack_ids(current.blocks, f"{channel}:{message_ts}")
        else:
            shown = self.api.current_response(source) if self.api is not None else source
            if shown is None:
                raise AssertionError(f"the response at {source.path} was deleted")
            if shown.user is not None and shown.is_ephemeral and actor != shown.user:
                raise AssertionError(f"only {shown.user} sees this response, not {actor}")
            channel, message_ts = shown.channel or "", shown.message_ts or self.next_ts()
            is_ephemeral = shown.is_ephemeral
            blocks = with_slack_ids(shown.body.get("blocks"), f"{channel}:{message_ts}:{shown.at}")
            if not is_ephemeral:
                message = {
                    "type": "message",
                    "ts": message_ts,
                    "text": shown.body.get("text", ""),
                    "blocks": blocks,
                    "user": self.api.bot_user_id if self.api is not None else "UBOT",
                    "bot_id": self.api.bot_id if self.api is not None else "BBOT",
                    "team": self.team_id,
                }
        channel_name = self.api.channel_name(channel) if self.api is not None else channel.lower()
        if self.api is not None:
            response_url = self.api.response_url("action", channel=channel, user=actor, message_ts=message_ts)
        else:
            response_url = "http://127.0.0.1:9/respond"
        return {
            "blocks": blocks,
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": is_ephemeral,
            },
            "channel": {"id": channel, "name": channel_name},
            "message": message,
            "response_url": response_url,
        }

    # ---- events ----------------------------------------------------------------------------

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        event_time: int | None = None,
    ) -> Reply:
        event_id = event_id or f"Ev{uuid.uuid4().hex[:10].upper()}"
        self.last_event_id = event_id
        envelope = {
            "token": self.VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "api_app_id": self.APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(self.timestamp_func()) if event_time is None else event_time,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.api.bot_user_id if self.api is not None else "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            # Deprecated by Slack, still required by its published envelope schema.
            "authed_users": [self.api.bot_user_id if self.api is not None else "UBOT"],
            "is_ext_shared_channel": False,
            "event_context": f"4-{uuid.uuid4().hex}",
        }
        return self._send_event(envelope, retry_num)

    def _send_event(self, envelope: dict[str, Any], retry_num: int | None) -> Reply:
        headers: dict[str, str | None] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return self.post(json.dumps(envelope).encode("utf-8"), "application/json", headers=headers)

    def thread_reply(
        self,
        text: str,
        *,
        thread_ts: str,
        user: str = "UAGENT",
        channel: str = "C1",
        ts: str | None = None,
        subtype: str | None = None,
        event_id: str | None = None,
        retry_num: int | None = None,
    ) -> Reply:
        ts = ts or self.next_ts()
        self.last_ts = ts
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": ts,
            "thread_ts": thread_ts,
            "channel_type": _channel_type(channel),
            "event_ts": ts,
            "team": self.team_id,
            "client_msg_id": str(uuid.uuid4()),
        }
        if subtype:
            event["subtype"] = subtype
        return self.event(event, event_id=event_id, retry_num=retry_num)

    def edit_reply(
        self,
        *,
        channel: str,
        ts: str,
        thread_ts: str,
        new_text: str,
        user: str = "UAGENT",
        old_text: str = "",
    ) -> Reply:
        event_ts = self.next_ts()
        event = {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "channel": channel,
            "ts": event_ts,
            "event_ts": event_ts,
            "channel_type": _channel_type(channel),
            "message": {
                "type": "message",
                "user": user,
                "text": new_text,
                "ts": ts,
                "thread_ts": thread_ts,
                "edited": {"user": user, "ts": event_ts},
                "team": self.team_id,
            },
            "previous_message": {
                "type": "message",
                "user": user,
                "text": old_text,
                "ts": ts,
                "thread_ts": thread_ts,
            },
        }
        return self.event(event)

    def delete_reply(
        self, *, channel: str, ts: str, thread_ts: str, user: str = "UAGENT", old_text: str = ""
    ) -> Reply:
        event_ts = self.next_ts()
        event = {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "channel": channel,
            "ts": event_ts,
            "event_ts": event_ts,
            "deleted_ts": ts,
            "channel_type": _channel_type(channel),
            "previous_message": {
                "type": "message",
                "user": user,
                "text": old_text,
                "ts": ts,
                "thread_ts": thread_ts,
            },
        }
        return self.event(event)

    def bot_reply(self, text: str, *, thread_ts: str, channel: str = "C1", bot_id: str = "BOTHER") -> Reply:
        ts = self.next_ts()
        self.last_ts = ts
        event = {
            "type": "message",
            "subtype": "bot_message",
            "text": text,
            "ts": ts,
            "thread_ts": thread_ts,
            "bot_id": bot_id,
            "username": "other-bot",
            "channel": channel,
            "channel_type": _channel_type(channel),
            "event_ts": ts,
        }
        return self.event(event)

    def url_verification(self, challenge: str) -> Reply:
        body = {"token": self.VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return self.post(json.dumps(body).encode("utf-8"), "application/json")


class SocketModeEventsClient(SlackEventsClient):
    """The same commands and events as SlackEventsClient, delivered the Socket Mode way: as
    envelopes over the stand-in's WebSocket. Each call waits for the bot's ack and returns it as
    a Reply whose body is the ack's payload (what an HTTP response body would carry)."""

    def __init__(self, api: FakeSlackAPI, *, timeout: float = 10.0):
        super().__init__("", "", team_id=api.team_id, api=api, timeout=timeout)
        self.socket_mode = api.socket_mode

    def deliver(self, kind: str, payload: dict[str, Any], *, retry_attempt: int | None = None) -> Reply:
        started = time.monotonic()
        envelope_id = self.socket_mode.push(kind, payload, retry_attempt=retry_attempt)
        body = self.socket_mode.ack(envelope_id, self.timeout).get("payload")
        return Reply(
            status=200,
            body=json.dumps(body) if body is not None else "",
            json=body if isinstance(body, dict) else None,
            headers=HeaderMessage(),
            elapsed=time.monotonic() - started,
        )

    def _send_command(self, form: dict[str, str]) -> Reply:
        return self.deliver("slash_commands", form)

    def _send_event(self, envelope: dict[str, Any], retry_num: int | None) -> Reply:
        return self.deliver("events_api", envelope, retry_attempt=retry_num)

    def interactive(self, payload: dict[str, Any]) -> Reply:
        return self.deliver("interactive", payload)

    def post(self, *args: Any, **kwargs: Any) -> Reply:
        raise TypeError("Socket Mode has no HTTP requests to the bot: use deliver()")


def _channel_type(channel: str) -> str:
    if channel.startswith("D"):
        return "im"
    if channel.startswith("G"):
        return "group"
    return "channel"


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
    key = _STATE_KEYS[action["type"]]
    return {"type": action["type"], key: copy.deepcopy(action.get(key))}


def _view_with_state(stored: StoredView) -> dict[str, Any]:
    """The view as Slack sends it in payloads: state.values for every stateful element."""
    view = copy.deepcopy(stored.view)
    view["state"] = {"values": state_values(stored.blocks, stored.state)}
    return view
