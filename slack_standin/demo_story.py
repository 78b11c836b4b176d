"""The story `make demo` plays (slack_standin/demo.py runs the bot and the stand-in): alex (New
York) handles a refund and maria (Berlin) is alex's manager. Each scene is what one person does,
and what each person then sees, as Slack would show it to them, with the buttons each message
carries."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import ManualClock
from slack_standin import FakeSlackAPI, SlackEventsClient

PEOPLE = {"UALEX": ("alex", "America/New_York"), "UMARIA": ("maria", "Europe/Berlin")}
CHANNEL = "CSUPPORT"
_DATE = re.compile(r"<!date\^(\d+)\^([^|>]*)(?:\|[^>]*)?>")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def as_seen_by(user_id: str, text: str) -> str:
    """Slack's rendering of mentions and <!date> tokens, in the reader's own time zone."""
    tz = ZoneInfo(PEOPLE[user_id][1])

    def date(match: re.Match[str]) -> str:
        moment = datetime.fromtimestamp(int(match.group(1)), UTC).astimezone(tz)
        if match.group(2) == "{time}":
            return moment.strftime("%H:%M")
        return moment.strftime("%a %b %d %H:%M")

    text = _DATE.sub(date, text)
    return _MENTION.sub(lambda m: "@" + PEOPLE.get(m.group(1), (m.group(1),))[0], text)


def blocks_text(blocks: list[dict[str, Any]], fallback: str) -> list[str]:
    lines: list[str] = []
    for block in blocks or []:
        if block.get("type") in ("header", "section") and block.get("text"):
            lines.append(block["text"]["text"])
        for field in block.get("fields") or []:
            lines.append(field["text"].replace("\n", ": ", 1))
        if block.get("type") == "context":
            lines.extend("  " + e.get("text", "") for e in block.get("elements", []))
        buttons = _controls([block.get("accessory") or {}, *(block.get("elements") or [])])
        if buttons:
            lines.append(buttons)
    return lines or [fallback]


def _controls(elements: list[dict[str, Any]]) -> str:
    """The buttons and menus a block carries, as "[ Done ]  [ Snooze ▾ ]"."""
    shown = []
    for element in elements:
        kind = element.get("type", "")
        label = element.get("text") or element.get("placeholder") or {}
        label = label.get("text", "") if isinstance(label, dict) else ""
        if kind == "button":
            shown.append(f"[ {label} ]")
        elif kind.endswith("select") or kind in ("overflow", "datepicker", "timepicker"):
            shown.append(f"[ {label or kind} ▾ ]")
    return "  ".join(shown)


def show(title: str, reader: str, blocks: list[dict[str, Any]], fallback: str) -> None:
    name, tz = PEOPLE[reader]
    print(f"\n┌─ {title}  (as @{name} sees it, {tz})")
    for line in blocks_text(blocks, fallback):
        for part in as_seen_by(reader, line).splitlines() or [""]:
            for wrapped in textwrap.wrap(part, 92) or [""]:
                print(f"│ {wrapped}")
    print("└" + "─" * 60)


def _wait(slack: FakeSlackAPI, predicate: Any) -> Any:
    return slack.wait_for(predicate, timeout=10)


def _answer(slack: FakeSlackAPI, before: int, needle: str) -> Any:
    """The first reply (to a command or a click) after `before` replies that says `needle`: a
    command may answer more than once, and a late answer to the last one may come first."""
    return _wait(slack, lambda: next((r for r in slack.responses[before:] if needle in str(r.body)), None))


def _show_answer(slack: FakeSlackAPI, before: int, needle: str, reader: str = "UALEX") -> Any:
    reply = _answer(slack, before, needle)
    show("ephemeral reply", reader, reply.body.get("blocks", []), reply.body.get("text", ""))
    return reply


def _new_dm(slack: FakeSlackAPI, user: str, seen: int, needle: str) -> Any:
    return _wait(slack, lambda: next((m for m in slack.dms_to(user)[seen:] if needle in m.text), None))


def play(alex: SlackEventsClient, slack: FakeSlackAPI, dispatcher: Any, clock: ManualClock) -> None:
    print("casekeeper demo: alex (New York) handles a refund; maria (Berlin) is alex's manager.")
    _manager(alex, slack)
    card = _open_and_promise(alex, slack)
    _safer_time_and_reschedule(alex, slack)
    escalation = _reminder_and_escalation(slack, dispatcher, clock, card)
    _acknowledge_and_keep(alex, slack, escalation)
    _close_as_recurring(alex, slack, card)
    print(
        "\nThat is the whole loop. `make run` starts the bot for your own workspace"
        " (README: Slack app setup)."
    )


def _manager(alex: SlackEventsClient, slack: FakeSlackAPI) -> None:
    print("\n» alex: /case manager @maria")
    alex.command("manager <@UMARIA|maria>", user="UALEX", channel=CHANNEL)
    _show_answer(slack, 0, "asked")
    asked = _wait(slack, lambda: next(iter(slack.dms_to("UMARIA")), None))
    show("DM to maria", "UMARIA", asked.blocks, asked.text)

    print("\n» maria clicks Accept")
    alex.block_action(asked, "manager.accept", user="UMARIA")
    accepted = _wait(slack, lambda: next(iter(slack.dms_to("UALEX")), None))
    show("DM to alex", "UALEX", accepted.blocks, accepted.text)


def _open_and_promise(alex: SlackEventsClient, slack: FakeSlackAPI) -> Any:
    print("\n» alex: /case open Acme Corp: refund not received")
    alex.command("open Acme Corp: refund not received", user="UALEX", channel=CHANNEL)
    card = _wait(slack, lambda: next(iter(slack.messages(CHANNEL)), None))
    show("case card in #support", "UALEX", card.blocks, card.text)

    print("\n» alex replies in the card's thread: Called customer, left voicemail")
    alex.thread_reply("Called customer, left voicemail", thread_ts=card.ts, user="UALEX", channel=CHANNEL)
    reaction = _wait(slack, lambda: next(iter(slack.reactions), None))
    print(f"  the bot reacts :{reaction.name}: to the reply: logged as a contact")

    print("\n» alex replies: promise in 30 minutes: email the refund receipt")
    alex.thread_reply(
        "promise in 30 minutes: email the refund receipt", thread_ts=card.ts, user="UALEX", channel=CHANNEL
    )
    note = _wait(
        slack, lambda: next((m for m in slack.thread(CHANNEL, card.ts) if "refund receipt" in m.text), None)
    )
    show("note in the case thread", "UALEX", note.blocks, note.text)
    return card


def _safer_time_and_reschedule(alex: SlackEventsClient, slack: FakeSlackAPI) -> None:
    print("\n» alex opens two more cases and promises on both, close to the first promise")
    for summary in ("Globex: wrong invoice", "Initech: parcel lost"):
        alex.command(f"open {summary}", user="UALEX", channel=CHANNEL)
        _wait(slack, lambda s=summary: next((m for m in slack.messages(CHANNEL) if s in m.text), None))
    before = len(slack.responses)
    alex.command("promise CASE-2 in 40 minutes: call back about the invoice", user="UALEX", channel=CHANNEL)
    # The promise's own answer, not the late answer to `open`: the next promise is weighed
    # against this one.
    _answer(slack, before, "call back about the invoice")

    print("\n» alex: /case promise CASE-3 in 45 minutes: send the courier's claim form")
    before = len(slack.responses)
    alex.command("promise CASE-3 in 45 minutes: send the courier's claim form", user="UALEX", channel=CHANNEL)
    offer = _show_answer(slack, before, "claim form")
    print("\n» alex clicks Use the safer time")
    before = len(slack.responses)
    alex.block_action(offer, "promise.use_safer_time", user="UALEX")
    _show_answer(slack, before, "is now due")

    print("\n» alex: /case reschedule CASE-2 in 3 hours: the customer asked for the afternoon")
    before = len(slack.responses)
    alex.command(
        "reschedule CASE-2 in 3 hours: the customer asked for the afternoon", user="UALEX", channel=CHANNEL
    )
    asked = _show_answer(slack, before, "CASE-2")
    print("\n» alex clicks The customer knows")
    before = len(slack.responses)
    alex.block_action(asked, "promise.reschedule_told", user="UALEX")
    _show_answer(slack, before, "Rescheduled")


def _reminder_and_escalation(slack: FakeSlackAPI, dispatcher: Any, clock: ManualClock, card: Any) -> Any:
    print("\n… 15 minutes pass")
    clock.advance(minutes=15)
    dispatcher.tick()
    reminder = _wait(
        slack,
        lambda: next((m for m in slack.dms_to("UALEX") if "Reminder" in m.text and "CASE-1" in m.text), None),
    )
    show("DM to alex", "UALEX", reminder.blocks, reminder.text)

    print("\n… the promise is due and nobody marked it done; 2 more minutes pass")
    clock.advance(minutes=17)
    dispatcher.tick()
    escalation = _wait(slack, lambda: next((m for m in slack.dms_to("UMARIA") if "CASE-1" in m.text), None))
    show("DM to maria", "UMARIA", escalation.blocks, escalation.text)
    overdue = _wait(
        slack, lambda: next((m for m in slack.thread(CHANNEL, card.ts) if "overdue" in m.text), None)
    )
    show("note in the case thread", "UMARIA", overdue.blocks, overdue.text)
    return escalation


def _acknowledge_and_keep(alex: SlackEventsClient, slack: FakeSlackAPI, escalation: Any) -> None:
    print("\n» maria clicks Acknowledge")
    seen = len(slack.dms_to("UALEX"))
    alex.block_action(escalation, "escalation.acknowledge", user="UMARIA")
    told = _new_dm(slack, "UALEX", seen, "CASE-1")
    show("DM to alex", "UALEX", told.blocks, told.text)
    redrawn = _wait(
        slack,
        lambda: (
            m if (m := slack.message(escalation.channel, escalation.ts)).blocks != escalation.blocks else None
        ),
    )
    show("maria's DM, redrawn", "UMARIA", redrawn.blocks, redrawn.text)

    print("\n» alex: /case done CASE-1")
    before = len(slack.responses)
    alex.command("done CASE-1", user="UALEX", channel=CHANNEL)
    _show_answer(slack, before, "Kept")


def _close_as_recurring(alex: SlackEventsClient, slack: FakeSlackAPI, card: Any) -> None:
    print("\n» alex clicks Close on the card and closes CASE-1 as a recurring problem: Refund delays")
    alex.block_action(slack.message(CHANNEL, card.ts), "case.close", user="UALEX")
    form = _wait(slack, lambda: next(iter(slack.open_views("UALEX")), None))
    alex.view_submission(
        form,
        {"resolution": "Refund re-sent by the bank", "recurrence": "recurring", "category": "Refund delays"},
        user="UALEX",
    )
    closed = _wait(
        slack, lambda: m if "closed" in (m := slack.message(CHANNEL, card.ts)).text.lower() else None
    )
    show("case card in #support", "UALEX", closed.blocks, closed.text)
    print("  Three cases closed as recurring in one category within 14 days: the managers are told.")

    print("\n» alex: /case show CASE-1")
    before = len(slack.responses)
    alex.command("show CASE-1", user="UALEX", channel=CHANNEL)
    _show_answer(slack, before, "CASE-1")
