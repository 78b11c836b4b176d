"""A case in full (`/case show`, with pages of contacts) and someone's open cases (`/case list`)."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    DividerBlock,
    SectionBlock,
)

from bot.plurals import counted
from handlers.ids import ActionId, BlockId, Subject
from handlers.usage import USAGE
from handlers.views.blocks import (
    Message,
    button,
    context,
    customer_of,
    message,
    packed,
    safe,
    section,
    when,
)
from handlers.views.promises import promise_line
from storage.models import Case, CaseState, Contact, ContactKind, PromiseState

MAX_CONTACTS_SHOWN = 15
# Internal notes shown under the contacts (the latest; the export has them all).
MAX_NOTES_SHOWN = 10


# A message holds at most 50 blocks; promises beyond these are counted, not listed.
MAX_PROMISES_SHOWN = 40


def contact_line(contact: Contact, *, note: bool = False) -> str:
    marks = ""
    if contact.deleted_at is not None:
        marks = " _(deleted in Slack; kept here)_"
    elif contact.edited_at is not None:
        marks = " _(edited)_"
    icon = ":memo: " if note else ""
    return f"• {icon}{when(contact.posted_at)} <@{contact.author_id}>: {safe(contact.text, 280)}{marks}"


def case_details(case: Case, now: datetime, page: int = 0) -> Message:
    """`/case show`: the case, a page of its contacts (the newest first page, with buttons to
    page back through the older ones), and every promise."""
    state = (
        "open"
        if case.state is CaseState.OPEN
        else f"closed {when(case.closed_at)}"
        if case.closed_at
        else "closed"
    )
    head = (
        f"*{case.ref}* · {customer_of(case)} · {state}\n{safe(case.summary)}\n"
        f"Owner <@{case.owner_id}> · opened {when(case.opened_at)}"
    )
    blocks: list[Block] = [section(head)]
    if case.close_note:
        blocks.append(context(f"Resolution: {safe(case.close_note)}"))
    blocks.append(DividerBlock())
    contacts = [c for c in case.contacts if c.kind is not ContactKind.NOTE]
    notes = [c for c in case.contacts if c.kind is ContactKind.NOTE]
    pages = max(1, -(-len(contacts) // MAX_CONTACTS_SHOWN))
    page = min(max(page, 0), pages - 1)
    if contacts:
        end = len(contacts) - page * MAX_CONTACTS_SHOWN
        start = max(0, end - MAX_CONTACTS_SHOWN)
        header = f"*Contacts ({len(contacts)})*"
        if pages > 1:
            header += f" · {start + 1}–{end}, oldest first (page {page + 1} of {pages}, newest is page 1)"
        blocks += packed(header, [contact_line(c) for c in contacts[start:end]])
        if pages > 1:
            buttons = []
            if page + 1 < pages:
                older = Subject(case_id=case.id, page=page + 1)
                buttons.append(button("Older contacts", ActionId.CONTACTS_OLDER, older))
            if page > 0:
                newer = Subject(case_id=case.id, page=page - 1)
                buttons.append(button("Newer contacts", ActionId.CONTACTS_NEWER, newer))
            blocks.append(ActionsBlock(block_id=BlockId.PAGE_ACTIONS.value, elements=buttons))
    else:
        blocks.append(section("*Contacts*\nNone logged yet: reply in the case thread to log one."))
    blocks += _notes(notes)
    promises = list(case.promises)
    if promises:
        lines = [promise_line(p, now) for p in promises[-MAX_PROMISES_SHOWN:]]
        header = f"*Promises ({len(promises)})*"
        if len(promises) > MAX_PROMISES_SHOWN:
            header += f" · the latest {MAX_PROMISES_SHOWN}"
        blocks += packed(header, lines)
    else:
        blocks.append(section("*Promises*\nNone yet."))
    text = (
        f"{case.ref} ({safe(case.customer or 'customer')}), {state}: {safe(case.summary)}."
        f" {counted(len(contacts), 'contact')}, {counted(len(promises), 'promise')}"
        + (f", {counted(len(notes), 'internal note')}." if notes else ".")
    )
    return message(text, blocks)


def _notes(notes: list[Contact]) -> list[SectionBlock]:
    """The team's internal notes on the case, apart from its contacts (they are not any)."""
    if not notes:
        return []
    header = f"*Internal notes ({len(notes)})* · not contacts with the customer"
    if len(notes) > MAX_NOTES_SHOWN:
        header += f" · the latest {MAX_NOTES_SHOWN}"
    return packed(header, [contact_line(n, note=True) for n in notes[-MAX_NOTES_SHOWN:]])


def case_list(cases: list[Case], now: datetime) -> Message:
    if not cases:
        text = "You have no open cases. Open one with " + USAGE["open"] + "."
        return message(text, [section(text)])
    lines = []
    for case in cases[:40]:
        open_promises = [p for p in case.promises if p.state is PromiseState.OPEN]
        next_due = f" · next promise {promise_line(open_promises[0], now)[2:]}" if open_promises else ""
        lines.append(f"• *{case.ref}* {customer_of(case)}: {safe(case.summary, 120)}{next_due}")
    header = f"*Your open cases ({len(cases)})*"
    if len(cases) > 40:
        header += " · the oldest 40"
    text = f"You have {counted(len(cases), 'open case')}."
    return message(text, [section(header + "\n" + "\n".join(lines))])
