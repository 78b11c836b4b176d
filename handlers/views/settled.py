"""How a promise escalated to someone ended (kept, cancelled, rescheduled, its case closed): the
line its escalation messages are redrawn with, and the one DM that tells the person."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from handlers.views.blocks import Message, context, customer_of, message, safe, section, when
from storage.models import Case, CaseState, Promise, PromiseState


def outcome(case: Case, promise: Promise, successor: Promise | None) -> str:
    """ "Kept by @alex at 14:20": who ended it, and when, in the reader's own time. Mrkdwn, with
    nothing people typed in it."""
    if promise.state is PromiseState.KEPT and promise.kept_at is not None:
        by = f" by <@{promise.kept_by}>" if promise.kept_by else ""
        line = f"Kept{by} at {when(promise.kept_at)}"
    elif promise.state is PromiseState.CANCELLED and promise.cancelled_at is not None:
        line = f"Cancelled by <@{promise.cancelled_by}> at {when(promise.cancelled_at)}, the customer told"
    elif promise.state is PromiseState.RESCHEDULED and promise.rescheduled_at is not None:
        line = (
            f"Rescheduled by <@{promise.rescheduled_by}> at {when(promise.rescheduled_at)}, the customer told"
        )
        if successor is not None:
            line += f"; now due {when(successor.due_at)}"
    else:
        line = f"No longer open ({promise.state.value})"
    if case.state is CaseState.CLOSED and case.closed_at is not None:
        line += f"; {case.ref} closed by <@{case.closed_by}> at {when(case.closed_at)}"
    return line + "."


def ended_by(promise: Promise) -> str | None:
    """Who ended the promise: they need not be told what they did."""
    if promise.state is PromiseState.KEPT:
        return promise.kept_by
    if promise.state is PromiseState.CANCELLED:
        return promise.cancelled_by
    if promise.state is PromiseState.RESCHEDULED:
        return promise.rescheduled_by
    return None


def escalation_settled(case: Case, promise: Promise, line: str) -> Message:
    """The one DM to someone an escalation reached: how it ended, nothing left to do."""
    text = (
        f"{case.ref} ({safe(case.customer or 'customer')}): the missed promise"
        f" “{safe(promise.description)}” escalated to you: {line}"
    )
    blocks: list[Block] = [
        section(
            f":white_check_mark: *{case.ref}* · {customer_of(case)}\n"
            f"<@{promise.owner_id}>'s promise “{safe(promise.description)}”, escalated to you: {line}"
        ),
        context("Nothing left to do about that escalation: its message no longer has buttons."),
    ]
    return message(text, blocks)
