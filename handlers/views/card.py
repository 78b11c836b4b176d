"""The case card: the message at the top of the case thread, redrawn in place (chat.update)
whenever the case changes, so the channel always shows where the case stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    HeaderBlock,
)

from bot.customers import NO_HISTORY, History
from handlers.ids import ActionId, BlockId, Subject
from handlers.views import search as search_view
from handlers.views.blocks import (
    Message,
    clip,
    context,
    customer_of,
    due_both,
    fields,
    message,
    safe,
    section,
    when,
)
from storage.models import Case, CasePriority, CaseState, Promise

PRIORITY_LABEL = {
    CasePriority.LOW: "Low",
    CasePriority.NORMAL: "Normal",
    CasePriority.HIGH: ":large_orange_circle: High",
    CasePriority.URGENT: ":red_circle: Urgent",
}


@dataclass(frozen=True)
class CardFacts:
    """What the card shows besides the case itself, read in the same transaction."""

    next_promise: Promise | None
    open_promises: int
    contacts: int
    # The customer's earlier cases (bot/customers.py).
    history: History = NO_HISTORY


def case_card(case: Case, facts: CardFacts, now: datetime) -> Message:
    is_open = case.state is CaseState.OPEN
    status = "Open" if is_open else f"Closed {when(case.closed_at) if case.closed_at else ''}".strip()
    if case.priority is not CasePriority.NORMAL:
        status += f" · {PRIORITY_LABEL[case.priority]}"
    summary = [
        f"*Customer*\n{customer_of(case)}",
        f"*Owner*\n<@{case.owner_id}>",
        f"*Status*\n{status}",
        f"*Contacts*\n{facts.contacts}",
        f"*Next promise*\n{_next_promise(case, facts, now)}",
        f"*Opened*\n{when(case.opened_at)}",
    ]
    blocks: list[Block] = [
        # plain_text: shown as is, never read as markup.
        HeaderBlock(text=clip(f"{case.ref} · {case.customer or 'new case'}", 150)),
        section(safe(case.summary)),
        fields(summary),
    ]
    refs = _refs(case)
    if refs:
        blocks.append(context(refs))
    earlier = search_view.history_block(facts.history)
    if earlier is not None:
        blocks.append(earlier)
    if is_open:
        blocks.append(_buttons(case, facts))
        blocks.append(
            context(
                "Reply in this thread to log each customer contact."
                " Start a reply with `promise in 2 hours: …` to record a promise,"
                " or `note: …` for an internal note (not a contact)."
            )
        )
    else:
        outcome = [f"Resolution: {safe(case.close_note)}" if case.close_note else "Closed without a note"]
        if case.recurrence is not None:
            kind = "a recurring problem" if case.recurrence.value == "recurring" else "a single event"
            outcome.append(f"{kind}" + (f" · {safe(case.category)}" if case.category else ""))
        outcome.append(f"The customer is back? `/case reopen {case.ref} &lt;why&gt;`")
        blocks.append(context(" · ".join(outcome)))
    customer = safe(case.customer or "a customer")
    text = (
        f"{case.ref} ({'open' if is_open else 'closed'}) owned by <@{case.owner_id}> for {customer}:"
        f" {safe(case.summary)}"
    )
    return message(text, blocks)


def _next_promise(case: Case, facts: CardFacts, now: datetime) -> str:
    promise = facts.next_promise
    if promise is None:
        return "None open"
    late = " · *overdue*" if promise.due_at < now else ""
    more = f"\n_and {facts.open_promises - 1} more_" if facts.open_promises > 1 else ""
    return f"“{safe(promise.description, 120)}”\ndue {due_both(case, promise.due_at)}{late}{more}"


def _refs(case: Case) -> str:
    parts = [
        f"Account {safe(case.account_ref)}" if case.account_ref else "",
        f"Order {safe(case.order_ref)}" if case.order_ref else "",
        f"Tracking {safe(case.tracking_ref)}" if case.tracking_ref else "",
        f"First contact by {case.first_contact_via}" if case.first_contact_via else "",
        f"Customer's time zone {case.customer_tz}" if case.customer_tz else "",
    ]
    return " · ".join(p for p in parts if p)


def _buttons(case: Case, facts: CardFacts) -> ActionsBlock:
    subject = Subject(case_id=case.id).encode()
    buttons = [
        ButtonElement(text="Log contact", action_id=ActionId.CARD_LOG_CONTACT.value, value=subject),
        ButtonElement(text="Promise", action_id=ActionId.CARD_PROMISE.value, value=subject),
    ]
    if facts.next_promise is not None:
        done = Subject(case_id=case.id, promise_id=facts.next_promise.id).encode()
        buttons.append(
            ButtonElement(
                text="Done",
                action_id=ActionId.CARD_DONE.value,
                value=done,
                style="primary",
                confirm=ConfirmObject(
                    title="Promise kept?",
                    text=f"“{safe(facts.next_promise.description, 200)}” was done for the customer.",
                    confirm="Yes, kept",
                    deny="Not yet",
                ),
            )
        )
    buttons.append(ButtonElement(text="Edit", action_id=ActionId.CARD_EDIT.value, value=subject))
    buttons.append(ButtonElement(text="Close", action_id=ActionId.CARD_CLOSE.value, value=subject))
    return ActionsBlock(block_id=BlockId.CARD_ACTIONS.value, elements=buttons)
