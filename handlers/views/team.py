"""Who manages whom, as people see it: the answers to `/case manager` and `/case team`, the DM
asking a manager to accept, the DMs saying what changed, and the roster on an admin's Home."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, DividerBlock, HeaderBlock, PlainTextObject

from bot.managers import Change, TeamEvent
from bot.roster import Roster
from handlers.ids import ActionId, BlockId
from handlers.usage import USAGE
from handlers.views.blocks import Message, button, context, message, packed, section, when

# Roster lines an admin's Home shows (the Home holds 100 blocks; `python -m bot team export`
# writes them all).
ROSTER_SHOWN = 150


def _who(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "nobody"


def manager_is(change: Change) -> Message:
    if change.manager_id is None:
        text = "You have no manager: your missed promises escalate to the case channel."
    else:
        text = f"Your missed promises escalate to <@{change.manager_id}>."
    if change.requested_id is not None:
        text += f" You asked <@{change.requested_id}> to be your manager; they haven't accepted yet."
    elif change.manager_id is None:
        text += f" Name a manager with {USAGE['manager']}: they get a DM to accept."
    else:
        text += f" Change it with {USAGE['manager']}: the one you name gets a DM to accept."
    return message(text, [section(text)])


def manager_requested(change: Change) -> Message:
    """To someone who named their own manager: asked, not set."""
    assert change.requested_id is not None
    until = (
        f"your missed promises still escalate to <@{change.manager_id}>"
        if change.manager_id
        else "your missed promises escalate as if you had no manager (to the case channel)"
    )
    text = (
        f"I've asked <@{change.requested_id}> to be your manager. Until they accept, {until};"
        " I'll tell you when they answer."
    )
    return message(text, [section(f":envelope: {text}")])


def manager_assigned(change: Change, actor_id: str) -> Message:
    """To an admin or a lead who set someone's manager (or asked, for themself)."""
    if change.requested_id is not None and change.user_id == actor_id:
        return manager_requested(change)
    if change.manager_id is None:
        text = f"<@{change.user_id}> has no manager now: their missed promises escalate to the case channel."
    else:
        text = f"<@{change.user_id}>'s missed promises now escalate to <@{change.manager_id}>."
    text += " Promises already made keep the plan they were made with; whoever it concerns was told."
    return message(text, [section(f":white_check_mark: {text}")])


def manager_request(request_id: int, user_id: str) -> Message:
    """The DM to the manager someone named: nothing is in force until they accept."""
    text = f"<@{user_id}> named you as their manager. Do you accept?"
    # The asker too: SQLite may give a later request this one's id.
    value = f"{request_id}:{user_id}"
    blocks: list[Block] = [
        section(f":busts_in_silhouette: {text}"),
        context(
            f"If you accept, <@{user_id}>'s missed promises escalate to you (and, if you don't"
            " acknowledge, to your own manager), and you may change their cases: keep, reschedule"
            " or reassign promises, close cases. Until then nothing changes."
        ),
        ActionsBlock(
            block_id=BlockId.MANAGER_REQUEST_ACTIONS.value,
            elements=[
                button("Accept", ActionId.MANAGER_ACCEPT, value, "primary"),
                button("Decline", ActionId.MANAGER_DECLINE, value),
            ],
        ),
    ]
    return message(text, blocks)


def request_answered(change: Change, accepted: bool) -> str:
    """What the answered request DM says instead of its buttons."""
    if accepted:
        return f"Accepted: <@{change.user_id}>'s missed promises now escalate to you."
    return f"Declined: you are not <@{change.user_id}>'s manager."


def team_note(payload: dict[str, Any]) -> Message:
    event = TeamEvent(payload["event"])
    by = payload.get("by")
    # An operator's import has no Slack user behind it.
    setter = f"<@{by}>" if by and by.startswith(("U", "W")) else "an admin"
    user, manager = payload.get("user"), payload.get("manager")
    texts = {
        TeamEvent.ACCEPTED: f"<@{manager}> accepted being your manager: your missed promises now escalate"
        " to them. Promises already made keep the plan they were made with.",
        TeamEvent.DECLINED: f"<@{manager}> declined being your manager; nothing changed. Ask someone else"
        f" with {USAGE['manager']}.",
        TeamEvent.SET: f"{setter} set your manager to <@{manager}>: your missed promises now escalate to"
        " them. Promises already made keep the plan they were made with.",
        TeamEvent.CLEARED: f"{setter} removed your manager: your missed promises now escalate to the case"
        " channel.",
        TeamEvent.JOINED: f"{setter} made you <@{user}>'s manager: their missed promises now escalate to"
        " you, and you may change their cases.",
        TeamEvent.LEFT: f"<@{user}> no longer reports to you (their manager is now {_who(manager)},"
        f" set by {setter}): their missed promises escalate there from now.",
    }
    text = texts[event]
    return message(text, [section(f":busts_in_silhouette: {text}")])


def roster_blocks(roster: Roster) -> list[Block]:
    """Everyone's chain and who has none, for an admin's Home."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="Manager chains (admins)")), DividerBlock()]
    lines = [f"• <@{person}> → " + " → ".join(f"<@{m}>" for m in chain) for person, chain in roster.chains]
    if not lines:
        lines = ["Nobody has a manager yet."]
    blocks += packed(
        f"*:busts_in_silhouette: Who escalates to whom* ({len(roster.chains)})", lines[:ROSTER_SHOWN]
    )
    if len(lines) > ROSTER_SHOWN:
        blocks.append(
            context(f"…and {len(lines) - ROSTER_SHOWN} more — `python -m bot team export` lists all")
        )
    if roster.without:
        shown = ", ".join(f"<@{p}>" for p in roster.without[:ROSTER_SHOWN])
        more = f" and {len(roster.without) - ROSTER_SHOWN} more" if len(roster.without) > ROSTER_SHOWN else ""
        blocks.append(
            section(
                f"*:warning: No manager* ({len(roster.without)}): their missed promises go straight to the"
                f" case channel: {shown}{more}"
            )
        )
    if roster.tops:
        blocks.append(
            section(
                "*At the top* (no manager, people report to them): "
                + ", ".join(f"<@{p}>" for p in roster.tops)
            )
        )
    if roster.waiting:
        waiting = [f"• <@{w.user_id}> asked <@{w.manager_id}> {when(w.since)}" for w in roster.waiting]
        blocks += packed("*:hourglass_flowing_sand: Waiting for the manager to accept*", waiting[:30])
    blocks.append(
        context(
            f"Set anyone's manager with {USAGE['team']}, or a whole team with `python -m bot team import`."
        )
    )
    return blocks
