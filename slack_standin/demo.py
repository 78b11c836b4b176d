"""`make demo`: a whole case, start to escalation, played against the Slack stand-in the tests
use, printing what each person would see. No Slack workspace, no credentials, under a minute.

The bot runs for real (Bolt behind waitress on 127.0.0.1, a SQLite file, the outbox
dispatcher); requests are signed the way Slack signs them; only the clock is moved by hand
so the reminder and escalation do not take half an hour."""

from __future__ import annotations

import re
import tempfile
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.app.build import build_app, build_services
from bot.app.settings import Settings
from bot.app.web import make_server
from bot.clock import ManualClock
from slack_standin import FakeSlackAPI, SlackEventsClient
from storage.db import Database

SECRET = "demo-signing-secret"
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
    return lines or [fallback]


def show(title: str, reader: str, blocks: list[dict[str, Any]], fallback: str) -> None:
    name, tz = PEOPLE[reader]
    print(f"\n┌─ {title}  (as @{name} sees it, {tz})")
    for line in blocks_text(blocks, fallback):
        for part in as_seen_by(reader, line).splitlines() or [""]:
            for wrapped in textwrap.wrap(part, 92) or [""]:
                print(f"│ {wrapped}")
    print("└" + "─" * 60)


def play() -> int:
    clock = ManualClock(datetime.now(UTC).replace(second=0, microsecond=0))
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeSlackAPI(team_id="T1", time_func=lambda: clock.now().timestamp()) as slack,
    ):
        for user_id, (name, tz) in PEOPLE.items():
            slack.set_user(user_id, name=name, tz=tz)
        settings = Settings(
            bot_token="xoxb-demo",
            signing_secret=SECRET,
            app_token=None,
            api_url=slack.base_url,
            database_url=f"sqlite:///{Path(folder) / 'demo.sqlite3'}",
            port=0,
            reminder_lead=timedelta(minutes=15),
            escalation_grace=timedelta(0),
            escalation_repeat=timedelta(minutes=30),
        )
        db = Database(settings.database_url)
        db.migrate()
        services = build_services(settings, db, clock)
        server = make_server(build_app(services, settings), db, host="127.0.0.1", port=0)
        threading.Thread(target=server.serve, daemon=True).start()
        alex = SlackEventsClient(f"http://127.0.0.1:{server.port}", SECRET, team_id="T1", api=slack)
        try:
            _story(alex, slack, services.dispatcher, clock)
        finally:
            server.shutdown(grace=5)
            db.dispose()
    return 0


def _wait(slack: FakeSlackAPI, predicate: Any) -> Any:
    return slack.wait_for(predicate, timeout=10)


def _story(alex: SlackEventsClient, slack: FakeSlackAPI, dispatcher: Any, clock: ManualClock) -> None:
    print("casekeeper demo: alex (New York) handles a refund; maria (Berlin) is alex's manager.")

    print("\n» alex: /case manager @maria")
    alex.command("manager <@UMARIA|maria>", user="UALEX", channel=CHANNEL)
    reply = _wait(slack, lambda: slack.responses[-1] if slack.responses else None)
    show("ephemeral reply", "UALEX", reply.body.get("blocks", []), reply.body.get("text", ""))
    asked = _wait(slack, lambda: next(iter(slack.dms_to("UMARIA")), None))
    show("DM to maria", "UMARIA", asked.blocks, asked.text)

    print("\n» maria clicks Accept")
    alex.block_action(asked, "manager.accept", user="UMARIA")
    accepted = _wait(slack, lambda: next(iter(slack.dms_to("UALEX")), None))
    show("DM to alex", "UALEX", accepted.blocks, accepted.text)

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

    print("\n… 15 minutes pass")
    clock.advance(minutes=15)
    dispatcher.tick()
    reminder = _wait(slack, lambda: next((m for m in slack.dms_to("UALEX") if "Reminder" in m.text), None))
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

    print("\n» alex: /case done CASE-1")
    before = len(slack.responses)
    alex.command("done CASE-1", user="UALEX", channel=CHANNEL)
    kept = _wait(slack, lambda: slack.responses[-1] if len(slack.responses) > before else None)
    show("ephemeral reply", "UALEX", kept.body.get("blocks", []), kept.body.get("text", ""))

    print("\n» alex: /case show CASE-1")
    before = len(slack.responses)
    alex.command("show CASE-1", user="UALEX", channel=CHANNEL)
    shown = _wait(slack, lambda: slack.responses[-1] if len(slack.responses) > before else None)
    show("ephemeral reply", "UALEX", shown.body.get("blocks", []), shown.body.get("text", ""))
    print(
        "\nThat is the whole loop. `make run` starts the bot for your own workspace"
        " (README: Slack app setup)."
    )
