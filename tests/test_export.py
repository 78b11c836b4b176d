"""`python -m bot export`: the record a complaint may later need. Cases are built through the real
boundaries (signed commands, thread replies, button clicks, the dispatcher sending at the moved
clock), then the export runs as its own process, as an operator runs it, and its JSON is held
against what the test did and what the Slack stand-in received."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from bot import cases as case_domain
from bot import contacts
from bot.clock import ManualClock
from bot.ops.export import all_cases, iso
from handlers.ids import ActionId, BlockId, CallbackId
from storage.db import make_engine
from tests.processes import bot_env


@pytest.fixture
def clock() -> ManualClock:
    # The export's "--since 30d" counts back from the real time, as an operator's does, so the
    # story is told on a clock that ends near the real now: it starts 40 days ago.
    return ManualClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=40))


def export(database_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "export", *args],
        cwd=cwd,
        env=bot_env(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def at(when: datetime) -> str:
    return iso(when)  # type: ignore[return-value]


def card_of(slack, case):
    return slack.message(case.channel, case.card_ts)


def notification_id(message) -> int | None:
    payload = (message.metadata or {}).get("event_payload") or {}
    return payload.get("notification_id")


# -- one case, whole ----------------------------------------------------------------------------


def test_one_case_exports_every_contact_promise_change_and_message(
    agent, manager, signer, slack, bot, clock, database_url, tmp_path
):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: parcel late — “urgent”")
    opened_at = clock.now()

    # Contacts: one plain, one edited, one deleted; and one logged with the card's button.
    agent.reply(case, "Called the customer: parcel not arrived")
    clock.advance(minutes=1)
    agent.reply(case, "Customer says the parcel is lost")
    edited_ts = signer.last_ts
    clock.advance(minutes=1)
    signer.edit_reply(channel="C1", ts=edited_ts, thread_ts=case.card_ts, new_text="Parcel arrived damaged")
    edited_at = clock.now()
    bot.settle()
    agent.reply(case, "Wrong thread, sorry")
    deleted_ts = signer.last_ts
    clock.advance(minutes=1)
    signer.delete_reply(channel="C1", ts=deleted_ts, thread_ts=case.card_ts)
    deleted_at = clock.now()
    bot.settle()
    agent.click(card_of(slack, case), ActionId.CARD_LOG_CONTACT.value)
    agent.submit(
        agent.modal(CallbackId.LOG_CONTACT.value),
        {BlockId.CONTACT.value: "Customer rang: still waiting", BlockId.VIA.value: "phone"},
    )

    # Promise 1: reminded, missed, escalated to the manager, acknowledged, kept late.
    agent.command(f"promise {case.ref} in 30 minutes: call back with the tracking number")
    first_made_at = clock.now()
    clock.advance(minutes=16)
    bot.tick()
    first_reminded_at = clock.now()
    clock.advance(minutes=15)
    bot.tick()
    bot.tick()
    escalated_at = clock.now()
    escalation_dm = [m for m in manager.dms() if m.text.startswith("Escalation:")][-1]
    clock.advance(minutes=2)
    manager.click(escalation_dm, ActionId.ESCALATION_ACKNOWLEDGE.value)
    acknowledged_at = clock.now()
    clock.advance(minutes=3)
    agent.command(f"done {case.ref}")
    first_kept_at = clock.now()

    # Promise 2: reminded, then given a new time with the Reschedule button (customer told);
    # promise 3 replaces it and is kept.
    agent.command(f"promise {case.ref} in 1 hour: email the receipt")
    second_made_at = clock.now()
    clock.advance(minutes=46)
    bot.tick()
    second_reminded_at = clock.now()
    reminder = [m for m in agent.dms() if "email the receipt" in m.all_text()][-1]
    agent.click(reminder, ActionId.REMINDER_RESCHEDULE.value)
    agent.submit(
        agent.modal(CallbackId.RESCHEDULE.value),
        {
            BlockId.WHEN_TEXT.value: "in 3 hours",
            BlockId.NOTE.value: "Courier needs a day",
            BlockId.TOLD.value: ["told"],
        },
    )
    rescheduled_at = clock.now()
    clock.advance(minutes=10)
    agent.command(f"done {case.ref}")
    third_kept_at = clock.now()
    bot.tick()

    # Closed as a recurring problem.
    agent.click(card_of(slack, case), ActionId.CARD_CLOSE.value)
    agent.submit(
        agent.modal(CallbackId.CLOSE_CASE.value),
        {
            BlockId.RESOLUTION.value: "Courier re-sent it",
            BlockId.RECURRENCE.value: "recurring",
            BlockId.CATEGORY.value: "Late deliveries",
        },
    )
    closed_at = clock.now()
    bot.tick()

    done = export(database_url, tmp_path, case.ref)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith("{\n  ")  # pretty
    record = json.loads(done.stdout)

    # The case.
    assert (record["ref"], record["team"], record["channel"], record["owner"]) == (
        case.ref,
        "T1",
        "C1",
        "UAGENT",
    )
    assert record["customer"] == "Acme Corp" and record["summary"] == "parcel late — “urgent”"
    assert record["thread_ts"] == case.card_ts
    assert record["opened"] == {"at": at(opened_at), "by": "UAGENT"}
    assert record["state"] == "closed"
    assert record["closed"] == {"at": at(closed_at), "by": "UAGENT", "resolution": "Courier re-sent it"}
    assert (record["recurrence"], record["category"]) == ("recurring", "Late deliveries")

    # Every contact, with the texts it had before.
    contacts = record["contacts"]
    assert [c["text"] for c in contacts] == [
        "Called the customer: parcel not arrived",
        "Parcel arrived damaged",
        "Wrong thread, sorry",
        "Customer rang: still waiting",
    ]
    assert [c["author"] for c in contacts] == ["UAGENT"] * 4
    assert [c["via"] for c in contacts] == [None, None, None, "phone"]
    assert contacts[1]["revisions"] == [
        {"change": "edited", "previous_text": "Customer says the parcel is lost", "at": at(edited_at)}
    ]
    assert contacts[1]["edited_at"] == at(edited_at) and contacts[1]["deleted_at"] is None
    assert contacts[2]["revisions"] == [
        {"change": "deleted", "previous_text": "Wrong thread, sorry", "at": at(deleted_at)}
    ]
    assert contacts[2]["deleted_at"] == at(deleted_at)
    assert contacts[0]["revisions"] == [] and contacts[0]["logged_at"] == at(opened_at)
    assert all(c["posted_at"].endswith("Z") for c in contacts)

    # Each promise, with its states and their times.
    first, second, third = record["promises"]
    assert first["description"] == "call back with the tracking number"
    assert first["state"] == "kept" and first["outcome"] == "kept_late"
    assert first["made"] == {"at": at(first_made_at), "by": "UAGENT"}
    assert first["due_at"] == at(first_made_at + timedelta(minutes=30))
    assert first["kept"] == {"at": at(first_kept_at), "by": "UAGENT"}
    assert first["acknowledged"] == {"at": at(acknowledged_at), "by": "UMGR"}
    assert first["reminded"] == [{"at": at(first_reminded_at), "to": "UAGENT", "level": 0}]
    assert first["escalated"] == [{"at": at(escalated_at), "to": "UMGR", "level": 1}]
    assert [(e["event"], e["at"]) for e in first["events"]] == [
        ("promise.made", at(first_made_at)),
        ("reminder.sent", at(first_reminded_at)),
        ("escalation.sent", at(escalated_at)),
        ("escalation.acknowledged", at(acknowledged_at)),
        ("promise.kept", at(first_kept_at)),
    ]
    assert [e.get("by") for e in first["events"]] == ["UAGENT", None, None, "UMGR", "UAGENT"]
    assert first["events"][2]["to"] == "UMGR"

    assert second["state"] == "rescheduled" and second["outcome"] == "rescheduled"
    assert second["rescheduled"] == {
        "at": at(rescheduled_at),
        "by": "UAGENT",
        "note": "Courier needs a day",
        "customer_told": True,
    }
    assert second["replaced_by_id"] == third["id"] and third["replaces_id"] == second["id"]
    assert [(e["event"], e["at"]) for e in second["events"]] == [
        ("promise.made", at(second_made_at)),
        ("reminder.sent", at(second_reminded_at)),
        ("promise.rescheduled", at(rescheduled_at)),
    ]
    moved = second["events"][-1]
    assert moved["customer_told"] is True and moved["note"] == "Courier needs a day"
    assert moved["new_due_at"] == at(rescheduled_at + timedelta(hours=3)) == third["due_at"]
    assert second["escalated"] == []
    # The reschedule cancelled what the old promise still owed: said, not silently dropped.
    assert {m["kind"]: m["state"] for m in second["messages"] if m["kind"] == "escalation"} == {
        "escalation": "cancelled"
    }

    assert third["state"] == "kept" and third["outcome"] in ("kept_early", "kept_on_time")
    assert third["made"] == {"at": at(rescheduled_at), "by": "UAGENT"}
    assert [(e["event"], e["at"]) for e in third["events"]] == [
        ("promise.made", at(rescheduled_at)),
        ("promise.kept", at(third_kept_at)),
    ]
    assert third["events"][0]["replaces_id"] == second["id"]
    assert third["kept"] == {"at": at(third_kept_at), "by": "UAGENT"}

    # The messages the bot sent are the ones Slack received: where and when.
    every_message = record["messages"] + [m for p in record["promises"] for m in p["messages"]]
    sent = {m["id"]: m for m in every_message if m["state"] == "sent"}
    posted_kinds = {"reminder", "escalation", "escalation_note", "promise_note", "case_card", "case_note"}
    for message in (m for m in sent.values() if m["kind"] in posted_kinds):
        in_slack = slack.message(message["delivered_channel"], message["slack_ts"])
        assert in_slack is not None, message
        assert notification_id(in_slack) == message["id"] or any(
            notification_id_of(version) == message["id"] for version in in_slack.history
        )
    dms = agent.dms() + manager.dms()
    assert dms and all(notification_id(dm) in sent for dm in dms)
    assert len([m for m in sent.values() if m["kind"] == "reminder"]) == 2
    assert len([m for m in sent.values() if m["kind"] == "escalation"]) == 1

    # The audit trail, whole and in order.
    actions = [e["action"] for e in record["audit"]]
    assert actions[0] == "case.opened" and actions[-1] == "case.closed"
    assert actions.count("contact.logged") == 4
    assert "contact.edited" in actions and "contact.deleted" in actions
    assert [e["at"] for e in record["audit"]] == sorted(e["at"] for e in record["audit"])
    assert all(e["at"].endswith("Z") for e in record["audit"])


def notification_id_of(version: dict) -> int | None:
    payload = ((version.get("metadata") or {}).get("event_payload")) or {}
    return payload.get("notification_id")


# -- every case touched lately ------------------------------------------------------------------


def test_all_since_exports_only_the_cases_touched_in_range_one_per_line(
    agent, person, slack, bot, clock, database_url, tmp_path
):
    touched = agent.open_case("Acme: refund")  # 40 days ago, a contact 20 days ago
    closed = agent.open_case("Globex: invoice")  # 40 days ago, closed 5 days ago
    untouched = agent.open_case("Initech: stapler")  # 40 days ago, nothing since
    clock.advance(days=20)
    agent.reply(touched, "Called the bank")
    recent = agent.open_case("Umbrella: login")  # 20 days ago
    clock.advance(days=15)
    agent.command(f"close {closed.ref} sorted")
    bot.tick()

    done = export(database_url, tmp_path, "--all", "--since", "30d")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["ref"] for r in records] == [touched.ref, closed.ref, recent.ref]
    assert untouched.ref not in done.stdout
    assert records[0]["contacts"][0]["text"] == "Called the bank"
    assert records[1]["closed"]["resolution"] == "sorted"
    # The same document as the one-case export, compact.
    one = json.loads(export(database_url, tmp_path, touched.ref).stdout)
    assert one == records[0] and "\n" not in lines[0]

    everything = export(database_url, tmp_path, "--all")
    assert len(everything.stdout.splitlines()) == 4

    assert export(database_url, tmp_path, "--all", "--since", "30d", "--team", "T2").stdout == ""
    assert len(export(database_url, tmp_path, "--all", "--team", "T1").stdout.splitlines()) == 4

    # Progress on stderr; stdout still pure JSON lines.
    shown = export(database_url, tmp_path, "--all", "--since", "30d", "--progress")
    assert shown.returncode == 0 and "export" in shown.stderr and "3/3" in shown.stderr
    assert [json.loads(line)["ref"] for line in shown.stdout.splitlines()] == [r["ref"] for r in records]
    quiet = export(database_url, tmp_path, "--all", "--since", "30d")
    assert quiet.stderr == ""  # not a terminal: no progress unless asked

    # To a file: stdout empty, the file holds the lines.
    target = tmp_path / "out" / "cases.jsonl"
    target.parent.mkdir()
    written = export(database_url, tmp_path, "--all", "--since", "30d", "--output", str(target))
    assert written.returncode == 0 and written.stdout == ""
    assert target.read_text(encoding="utf-8").splitlines() == lines
    assert not (tmp_path / "out" / "cases.jsonl.partial").exists()

    # A date works as well as a duration.
    since_date = (clock.now() - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    assert [
        json.loads(x)["ref"]
        for x in export(database_url, tmp_path, "--all", "--since", since_date).stdout.splitlines()
    ] == [closed.ref]


def test_bad_arguments_and_unknown_cases_get_one_clear_line(agent, bot, database_url, tmp_path):
    case = agent.open_case("Acme: refund")
    cases = [
        (["CASE-999999"], 1, "there is no CASE-999999"),
        ([case.ref, "--team", "T2"], 1, f"there is no {case.ref} in workspace T2"),
        (["CASE-x"], 2, "'CASE-x' is not a case reference"),
        (["--all", "--since", "3 fortnights"], 2, "--since '3 fortnights' is neither a length of time"),
        (["--all", "--since", "2026-13-45"], 2, "is not a real date"),
        (["--all", "--since", "0d"], 2, "is no time at all"),
    ]
    for args, code, message in cases:
        done = export(database_url, tmp_path, *args)
        assert (done.returncode, done.stdout) == (code, ""), (args, done.stderr)
        assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    for args in (["--all", case.ref], [], [case.ref, "--since", "30d"]):
        done = export(database_url, tmp_path, *args)
        assert done.returncode == 2 and done.stdout == "" and "error:" in done.stderr
    assert export(database_url, tmp_path, "--help").returncode == 0
    assert export(database_url, tmp_path, case.ref.lower()).returncode == 0


# -- many cases: pages, not one query per case ---------------------------------------------------


def test_many_cases_stream_in_pages_with_bounded_queries_and_memory(bot, clock, database_url, tmp_path):
    page, many = 200, 2000
    with bot.db.transaction() as session:
        # A workspace with one page of cases, and one with many pages of them.
        for team_id, count in (("TSMALL", page), ("T1", many)):
            for number in range(count):
                opened, _ = case_domain.open_case(
                    session,
                    team_id=team_id,
                    channel_id="C1",
                    owner_id="UAGENT",
                    customer=f"Customer {number}",
                    summary="parcel late",
                    now=clock.now(),
                )
                contacts.log_contact(
                    session,
                    case=opened,
                    channel_id="C1",
                    ts=f"{team_id}.{number:06d}",
                    author_id="UAGENT",
                    text=f"contact {number}",
                    posted_at=clock.now(),
                    now=clock.now(),
                )

    def export_in_process(team_id: str) -> tuple[int, int, list[str]]:
        """(cases, peak bytes allocated, statements run) of exporting one workspace."""
        engine = make_engine(database_url, read_only=True)
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        tracemalloc.start()
        try:
            seen = 0
            for document in all_cases(engine, team_id=team_id, since=None, now=clock.now(), page_size=page):
                assert document["team"] == team_id and document["contacts"][0]["text"] == f"contact {seen}"
                seen += 1
            return seen, tracemalloc.get_traced_memory()[1], statements
        finally:
            tracemalloc.stop()
            engine.dispose()

    small, small_peak, _ = export_in_process("TSMALL")
    seen, peak, statements = export_in_process("T1")
    assert (small, seen) == (page, many)
    pages = many // page + 1  # the last, empty page says it's over
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 6 * pages, len(selects)  # the cases and 5 child tables, per page
    # 10 pages, held one at a time: the peak is about one page's, not 10 times it.
    assert peak < 3 * small_peak, (peak, small_peak)

    done = export(database_url, tmp_path, "--all", "--team", "T1")
    assert done.returncode == 0, done.stderr
    assert sum(1 for _ in done.stdout.splitlines()) == many
