"""The DM telling the owner (and the admins) that a reminder or an escalation Slack refused for
good was never delivered: which one, to whom, why in words a person can act on, and what to do
(bot/dead_letters.py writes what it says into the row's payload)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.slack_codes import CHANNEL_TROUBLE, MESSAGE_REFUSED, PERSON_GONE, WORKSPACE_GONE
from handlers.views.blocks import Message, context, message, safe, section, when

GAVE_UP = "gave up after "


def _code(error: str) -> str:
    """The Slack error code (the sender adds detail after a space, e.g. `app_not_installed team_id=T1`)."""
    if error.startswith(GAVE_UP):
        return error
    return error.split(" ", 1)[0]


def _place(to: str, facts: dict[str, Any]) -> str:
    if to.startswith(("C", "G")):
        return f"the case's channel <#{to}>" if to == facts.get("case_channel") else f"<#{to}>"
    return f"<@{to}>"


def why(facts: dict[str, Any]) -> str:
    """What Slack's refusal means, about the recipient."""
    code, to = _code(str(facts["error"])), str(facts["to"])
    place = _place(to, facts)
    if code in ("account_inactive", "user_disabled"):
        return f"{place}'s Slack account is deactivated: they have left the workspace."
    if code == "user_not_found":
        return f"Slack doesn't know {place} in this workspace."
    if code == "cannot_dm_bot":
        return f"{place} is a bot, and bots can't be sent DMs."
    if code == "not_in_channel":
        return f"I'm not in {place}, and can't join it myself (it is private)."
    if code == "channel_not_found":
        if to.startswith(("C", "G")):
            return f"{place} doesn't exist any more, or is private and I'm not in it."
        return f"Slack couldn't open a DM with {place}."
    if code in ("is_archived", "channel_is_archived"):
        return f"{place} is archived."
    if code in ("thread_not_found", "message_not_found"):
        return "The case card, whose thread it belonged in, was deleted."
    if code in WORKSPACE_GONE:
        return (
            "Slack no longer accepts casekeeper in this workspace (the app was removed or its token revoked)."
        )
    if code == "missing_scope":
        return "casekeeper lacks a Slack permission it needs for this."
    if code == "restricted_action":
        return f"The workspace's settings don't let casekeeper post to {place}."
    if code in MESSAGE_REFUSED:
        return "Slack refused the message itself: a fault in casekeeper, not in anything you did."
    if code.startswith(GAVE_UP):
        tries, _, last = code.removeprefix(GAVE_UP).partition(": ")
        return f"I gave up after {safe(tries, 40)}: Slack kept answering `{safe(last, 200)}`."
    return f"Slack refused it (`{safe(code, 100)}`)."


def what_to_do(facts: dict[str, Any], ref: str) -> str:
    """The fix, for the reader (the owner, or an admin)."""
    code, to = _code(str(facts["error"])), str(facts["to"])
    owner, for_owner = str(facts["owner"]), facts.get("audience") == "owner"
    if code in PERSON_GONE or code == "cannot_dm_bot":
        if to == owner:
            return f"Hand <@{owner}>'s case to someone who is here: `/case reassign {ref} @…`."
        above = facts.get("manager_of")
        if for_owner and above == owner:
            return "Name your new manager with `/case manager @…`: your next missed promises reach them."
        if above:
            return (
                f"<@{above}> needs a new manager: they name one with `/case manager @…`, or an admin"
                " sets it with `/case team @… manager @…`."
            )
    if code in CHANNEL_TROUBLE and to.startswith(("C", "G")):
        if code in ("is_archived", "channel_is_archived"):
            fix = f"unarchive <#{to}>"
        else:
            fix = f"invite me to <#{to}> with `/invite @casekeeper`"
        if to != facts.get("case_channel"):
            fix += ", or have whoever runs casekeeper point ESCALATION_CHANNEL at a channel I'm in"
        return fix[0].upper() + fix[1:] + "."
    if code in WORKSPACE_GONE or code == "missing_scope":
        return "A workspace admin reinstalls casekeeper (api.slack.com/apps → your app → Install App)."
    return f"Tell whoever runs casekeeper (its log has `notification.dead id={facts['notification_id']}`)."


def _meanwhile(facts: dict[str, Any], ref: str) -> str:
    if facts.get("kind") == "escalation" and facts.get("next_to"):
        return f"Meanwhile the escalation goes on to {_place(str(facts['next_to']), facts)} at its time."
    if facts.get("kind") != "escalation":
        return f"The promise is still open: keep it (`/case done {ref}`) or reschedule it with the customer."
    if facts.get("audience") == "owner":
        return f"Nobody else hears of it from me: keep the promise (`/case done {ref}`) or reschedule it."
    return "Nobody else hears of it from the bot."


def notice(facts: dict[str, Any], case_id: int) -> Message:
    ref = f"CASE-{case_id}"
    owner, to = str(facts["owner"]), str(facts["to"])
    kind = "escalation" if facts.get("kind") == "escalation" else "reminder"
    whose = "Your" if facts.get("audience") == "owner" else f"<@{owner}>'s"
    level = f" (level {facts['level']})" if kind == "escalation" and facts.get("level") else ""
    recipient = "you" if to == owner and facts.get("audience") == "owner" else _place(to, facts)
    headline = f":warning: {whose} {kind}{level} about *{ref}* couldn't be delivered to {recipient}."
    lines = [headline]
    if facts.get("description"):
        due = when(datetime.fromisoformat(str(facts["due_at"]))) if facts.get("due_at") else "?"
        lines.append(f"The promise: “{safe(str(facts['description']), 300)}”, due {due}.")
    lines.append(f"*Why:* {why(facts)}")
    lines.append(f"*What to do:* {what_to_do(facts, ref)} {_meanwhile(facts, ref)}")
    notification_id = facts["notification_id"]
    footer = (
        f"Undelivered message {notification_id}. Once it is fixed, whoever runs casekeeper can send"
        f" it again: `python -m bot dead retry {notification_id}`."
    )
    text = f"{whose} {kind} about {ref} couldn't be delivered to {recipient}. {why(facts)}"
    return message(text, [section("\n".join(lines)), context(footer)])
