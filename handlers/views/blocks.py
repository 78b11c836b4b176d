"""The one set of Block Kit primitives every view builds with (slack_sdk's models), and the
message they make: blocks plus a plain `text` fallback (notifications, screen readers, clients
without blocks).

Times are `<!date^…>` tokens, so every reader sees their own local time; the fallback after
the `|` is UTC. Text people typed is shown as text: every mrkdwn string (sections, contexts,
fields, confirm texts, the `text` fallback, which Slack also reads for mentions) takes it
through `safe`, once, at the point it is put in, and never a whole composed line, whose own
`<@U…>` and `<!date…>` must keep working. plain_text (headers, buttons, titles) takes it as is:
Slack never reads markup there."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot import durations
from bot.clock import zone
from handlers.ids import ActionId, Subject
from handlers.slack_text import escape
from storage.models import Case

SECTION_TEXT_LIMIT = 3000


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def safe(text: str | None, limit: int | None = None) -> str:
    """People's text, shortened to `limit` characters (before escaping, so no `&amp;` is cut in
    half), to show as text in mrkdwn: `&`, `<` and `>` escaped (handlers/slack_text.py)."""
    return escape(clip(text or "", limit) if limit is not None else text)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(moment: datetime, style: str = "{date_short_pretty} {time}") -> str:
    """A time every reader sees in their own zone."""
    epoch = int(moment.timestamp())
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{style}|{fallback}>"


def duration(delta: timedelta) -> str:
    return durations.short(delta)


def customer_clock(case: Case, moment: datetime) -> str:
    """The same moment on the customer's wall clock, when the case knows their zone: what the
    agent says to the customer ("15:00 for the customer"), next to the reader's own time."""
    if not case.customer_tz:
        return ""
    local = moment.astimezone(zone(case.customer_tz))
    return f"{local:%H:%M} {local:%a %b} {local.day} for the customer ({case.customer_tz})"


def due_both(case: Case, moment: datetime) -> str:
    """ "<!date> for you = 15:00 Wed Nov 25 for the customer (Europe/Berlin)", or just the date."""
    theirs = customer_clock(case, moment)
    return f"{when(moment)} for you = {theirs}" if theirs else when(moment)


def customer_of(case: Case, limit: int | None = None) -> str:
    return safe(case.customer, limit) if case.customer else "_not given_"


def section(text: str, block_id: str | None = None) -> SectionBlock:
    return SectionBlock(block_id=block_id, text=MarkdownTextObject(text=clip(text, SECTION_TEXT_LIMIT)))


def fields(texts: list[str]) -> SectionBlock:
    """A section of short labelled values, shown two to a row."""
    return SectionBlock(fields=[MarkdownTextObject(text=text) for text in texts])


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, SECTION_TEXT_LIMIT))])


def message(text: str, blocks: list[Block]) -> Message:
    return Message(text=clip(text, 3900), blocks=[b.to_dict() for b in blocks])


def recipient(to: str, case: Case) -> str:
    if to == case.channel_id:
        return "this channel"
    return f"<#{to}>" if to.startswith(("C", "G")) else f"<@{to}>"


def button(
    text: str,
    action: ActionId,
    subject: Subject | str,
    style: str | None = None,
    confirm: ConfirmObject | None = None,
) -> ButtonElement:
    """`subject`: what the button is about; a string for buttons about no case (ids.py says)."""
    value = subject if isinstance(subject, str) else subject.encode()
    return ButtonElement(text=text, action_id=action.value, value=value, style=style, confirm=confirm)


def packed(header: str, lines: list[str]) -> list[SectionBlock]:
    """Lines in as few sections as fit Slack's 3000 characters each: nothing is cut off."""
    blocks: list[SectionBlock] = []
    current = header
    for line in lines:
        line = clip(line, SECTION_TEXT_LIMIT - 10)
        if len(current) + 1 + len(line) > SECTION_TEXT_LIMIT:
            blocks.append(section(current))
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        blocks.append(section(current))
    return blocks
