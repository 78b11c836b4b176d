"""Block Kit as Slack checks it: why it would refuse a list of blocks or a view (with slack_sdk's
own models, imported when first needed, and Slack's documented limits), the block_id and
action_id it fills in, and the element a person acts on."""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
from typing import Any

# Slack's documented limits that slack_sdk's models cannot check one block at a time.
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
MAX_SECTION_FIELD_TEXT = 2000


def problem(message: str, pointer: str) -> str:
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
        return [problem("must be an array", pointer)]
    problems: list[str] = []
    if max_blocks is not None and len(blocks) > max_blocks:
        problems.append(problem(f"must contain at most {max_blocks} items, has {len(blocks)}", pointer))
    first_index: dict[str, int] = {}
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        if not isinstance(block, dict):
            problems.append(problem("must be an object", where))
            continue
        problems.extend(_model_problems(block, where))
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            if block_id in first_index:
                problems.append(
                    problem(f"block_id {block_id!r} is already used by block {first_index[block_id]}", where)
                )
            first_index.setdefault(block_id, index)
        action_ids = [
            e.get("action_id") for e in block_elements(block) if isinstance(e.get("action_id"), str)
        ]
        for action_id in sorted({a for a in action_ids if action_ids.count(a) > 1}):
            problems.append(problem(f"action_id {action_id!r} is used twice in this block", where))
        for n, item in enumerate((block.get("fields") or []) if block.get("type") == "section" else []):
            text = item.get("text") if isinstance(item, dict) else None
            if isinstance(text, str) and len(text) > MAX_SECTION_FIELD_TEXT:
                problems.append(
                    problem(
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
        return [problem("must be an object", pointer)]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [problem(f"type must be modal or home, not {kind!r}", f"{pointer}/type")]
    problems: list[str] = []
    for key in ("title", "submit", "close"):
        item = view.get(key)
        if item is not None and not (isinstance(item, dict) and item.get("type") == "plain_text"):
            problems.append(problem("must be a plain_text object", f"{pointer}/{key}"))
    if kind == "modal" and view.get("title") is None:
        problems.append(problem("a modal needs a title", f"{pointer}/title"))
    blocks = view.get("blocks")
    has_inputs = isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "input" for b in blocks
    )
    if kind == "modal" and has_inputs and view.get("submit") is None:
        problems.append(problem("a modal with input blocks needs a submit button", f"{pointer}/submit"))
    if not problems:
        try:
            model = View(**view)
            model.validate_json()  # title <= 24, 1-100 blocks, private_metadata <= 3000, ...
        except Exception as error:  # SlackObjectFormationError, or a constructor's TypeError
            problems.append(problem(str(error), pointer))
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
        return [problem(f"unsupported block type {block.get('type')!r}", f"{where}/type")]
    try:
        model = Block.parse(block)
    except Exception as error:
        return [problem(f"is not a valid {block.get('type')} block: {error}", where)]
    if model is None:
        return [problem("is not a block", where)]
    return _tree_problems(model, where)


def _tree_problems(model: Any, where: str) -> list[str]:
    """validate_json() checks one object; Slack checks the whole tree, so walk it."""
    from slack_sdk.models.basic_objects import JsonObject

    problems: list[str] = []
    try:
        model.validate_json()
    except Exception as error:
        problems.append(problem(str(error), where))
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


def block_elements(block: dict[str, Any]) -> list[dict[str, Any]]:
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
        for n, element in enumerate(block_elements(block)):
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
        for element in block_elements(block):
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
