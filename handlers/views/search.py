"""What customer memory looks like in Slack: `/case find` results, and the customer's earlier
cases on the case card and in `/case show`."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock

from bot.customers import USAGE, EarlierCase, Found, History
from bot.outcomes import WORDS, Outcome
from bot.plurals import counted
from bot.validation import quoted
from handlers.views.blocks import Message, context, customer_of, message, safe, section, when
from storage.models import Case, CaseState

SUMMARY_SHOWN = 80
WHAT_TO_SEARCH = "Search by customer name, account / order / tracking number, or words of the summary."


def results(found: Found) -> Message:
    # quoted() escapes what it shows.
    asked = quoted(found.text, 60)
    if not found.hits:
        text = f"Nothing found for “{asked}” in this workspace's cases. {WHAT_TO_SEARCH}"
        return message(text, [section(f":mag: {text}")])
    count = counted(found.total, "case")
    header = f":mag: *{count} found for “{asked}”*"
    if found.more:
        header += f" · the best {len(found.hits)}"
    lines = [_found_line(hit.case, hit.exact) for hit in found.hits]
    blocks: list[Block] = [section(header + "\n" + "\n".join(lines))]
    if found.more:
        blocks.append(
            context(f"{found.more} more — narrow the search: more of the number, or another word. {USAGE}.")
        )
    text = f"{count} found for “{asked}”: " + ", ".join(hit.case.ref for hit in found.hits)
    if found.more:
        text += f" and {found.more} more — narrow the search."
    return message(text, blocks)


def _found_line(case: Case, exact: bool) -> str:
    state = "open" if case.state is CaseState.OPEN else "closed"
    exactly = " · _exact number_" if exact else ""
    return (
        f"• *{case.ref}* · {customer_of(case)} · “{safe(case.summary, SUMMARY_SHOWN)}”"
        f" · {state} · <@{case.owner_id}> · opened {when(case.opened_at, '{date_short}')}{exactly}"
    )


def history_block(history: History) -> ContextBlock | None:
    """The customer's earlier cases, or None when this is their first."""
    if not history.earlier:
        return None
    lines = ["*Earlier cases for this customer*"] + [_earlier_line(e) for e in history.earlier]
    if history.more:
        lines.append("_Older ones: `/case find` the customer's name or account number._")
    return context("\n".join(lines))


def _earlier_line(earlier: EarlierCase) -> str:
    case = earlier.case
    if not earlier.closed:
        state = "open"
    elif case.recurrence is not None:
        kind = "recurring" if case.recurrence.value == "recurring" else "single event"
        state = f"closed ({kind}{' · ' + safe(case.category) if case.category else ''})"
    else:
        state = "closed"
    counts = earlier.promises
    parts = [
        f"{counts.kept} {WORDS[Outcome.KEPT_ON_TIME]}" if counts.kept else "",
        f"{counts.late} {WORDS[Outcome.KEPT_LATE]}" if counts.late else "",
        f"{counts.missed} {WORDS[Outcome.MISSED]}" if counts.missed else "",
    ]
    if counts.any:
        promised = "promises: " + ", ".join(p for p in parts if p)
    else:
        promised = "no promises due yet" if case.promises else "no promises"
    return (
        f"• *{case.ref}* “{safe(case.summary, 60)}” · {state}"
        f" · opened {when(case.opened_at, '{date_short}')} · {promised}"
    )


def with_history(shown: Message, history: History) -> Message:
    """`/case show`: the earlier cases right under the case's own head."""
    block = history_block(history)
    if block is None:
        return shown
    return Message(text=shown.text, blocks=[*shown.blocks[:1], block.to_dict(), *shown.blocks[1:]])
