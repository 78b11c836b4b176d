"""What a person entered, as Slack reports it: the state.values entry of each kind of element,
the initial values of untouched ones, and the checks Slack's client makes before it lets a
modal be submitted."""

from __future__ import annotations

import copy
from datetime import date, datetime
from datetime import time as time_of_day
from decimal import Decimal, InvalidOperation
from typing import Any

from slack_standin.blockkit import block_elements

# Each stateful element and the key Slack reports its value under, in state.values and actions.
STATE_KEYS: dict[str, str] = {
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


def initial_entry(element: dict[str, Any]) -> dict[str, Any]:
    """What state.values holds for an element nobody touched: its initial value, or null
    (an empty list for the multi-value ones), as Slack sends unfilled inputs."""
    kind = str(element.get("type"))
    key = STATE_KEYS[kind]
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
    if kind not in STATE_KEYS:
        raise AssertionError(f"a {kind} element holds no value")
    key = STATE_KEYS[kind]
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
            for element in block_elements(block):
                if element.get("type") in STATE_KEYS:
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
