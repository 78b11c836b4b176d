"""A reminder or an escalation Slack refuses for good is never silent: its owner hears which one
failed, to whom, why and what to do, and for an escalation the admins too. An operator lists the
dead messages with `python -m bot dead list`, sends them again once the cause is fixed (`retry`:
the running bot looks in Slack first, so a message that got through after all is not posted
twice) or drops them (`drop`, with a reason in the audit trail)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from slack_standin import SlackEventsClient
from storage import outbox
from storage.models import AuditEntry, Notification, NotificationKind, NotificationState
from tests.conftest import Person, RunningBot, link_manager
from tests.processes import bot_env

ADMIN = "UOTHER"
UNDELIVERED = "couldn't be delivered"


@pytest.fixture
def bot(bot_settings, clock):
    # UOTHER (olga) is the deployment's admin (ADMIN_USERS).
    running = RunningBot(replace(bot_settings, admins=frozenset({ADMIN})), clock)
    yield running
    running.stop()


@pytest.fixture
def admin(signer: SlackEventsClient, slack, bot) -> Person:
    return Person(ADMIN, signer, slack, bot)


def dead(bot: RunningBot, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot dead …` as an operator runs it, on the bot's own database."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "dead", *args],
        cwd=cwd,
        env=bot_env(DATABASE_URL=bot.settings.database_url),
        capture_output=True,
        text=True,
        timeout=60,
    )


def promise_due_in_30_minutes(agent, bot):
    link_manager(bot, agent.user_id, "UMGR")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 30 minutes: call back")
    return case


def rows(bot, kind: NotificationKind) -> list[Notification]:
    with bot.db.transaction() as session:
        found = session.execute(select(Notification).where(Notification.kind == kind)).scalars().all()
        session.expunge_all()
        return list(found)


def level_1(bot) -> Notification:
    """The escalation to the owner's manager."""
    (row,) = [r for r in rows(bot, NotificationKind.ESCALATION) if r.level == 1]
    return row


def notices(person: Person) -> list:
    return [m for m in person.dms() if UNDELIVERED in m.all_text()]


def posts_to(slack, recipient: str, notification_id: int) -> list:
    """Messages in Slack standing for this outbox row (the id travels as message metadata)."""
    return [
        m
        for m in slack.messages()
        if (m.metadata or {}).get("event_payload", {}).get("notification_id") == notification_id
        and m.params.get("channel") == recipient
    ]


def test_an_escalation_to_a_manager_who_left_is_told_to_the_owner_and_the_admins(
    agent, manager, admin, slack, bot, clock
):
    case = promise_due_in_30_minutes(agent, bot)
    slack.fail("chat.postMessage", status=200, error="account_inactive", only={"channel": "UMGR"})
    clock.advance(minutes=31)
    bot.tick()

    assert manager.dms() == []
    (told,) = notices(agent)
    text = told.all_text()
    assert case.ref in text and "escalation" in text and "<@UMGR>" in text
    assert "call back" in text
    assert "deactivated" in text and "left the workspace" in text
    # What the owner can do about it: name a new manager; and what happens meanwhile.
    assert "/case manager @…" in text
    assert "goes on to the case's channel <#C1>" in text
    escalation = level_1(bot)
    assert f"python -m bot dead retry {escalation.id}" in text

    (admins,) = notices(admin)
    assert case.ref in admins.all_text() and "<@UAGENT>'s escalation" in admins.all_text()
    assert "/case team @… manager @…" in admins.all_text()

    # Each is told once, however often the dispatcher looks again.
    clock.advance(minutes=1)
    bot.tick()
    assert len(notices(agent)) == 1 and len(notices(admin)) == 1


def test_a_reminder_whose_owner_left_is_told_to_the_admins_not_to_the_owner(agent, admin, slack, bot, clock):
    case = promise_due_in_30_minutes(agent, bot)
    slack.fail("chat.postMessage", status=200, error="account_inactive", only={"channel": "UAGENT"})
    clock.advance(minutes=16)
    bot.tick()

    (reminder,) = rows(bot, NotificationKind.REMINDER)
    assert reminder.state is NotificationState.DEAD
    # Nothing tried to tell the owner: Slack says they can't get anything.
    assert len([c for c in slack.calls("chat.postMessage") if c.params.get("channel") == "UAGENT"]) == 1
    (told,) = notices(admin)
    assert "<@UAGENT>'s reminder" in told.all_text() and case.ref in told.all_text()
    assert f"/case reassign {case.ref} @…" in told.all_text()


def test_a_notice_that_dies_too_is_only_logged(agent, admin, slack, bot, clock, caplog):
    promise_due_in_30_minutes(agent, bot)
    slack.fail("chat.postMessage", status=200, error="account_inactive", only={"channel": "UMGR"})
    slack.fail("chat.postMessage", status=200, error="user_disabled", only={"channel": ADMIN})
    clock.advance(minutes=31)
    with caplog.at_level(logging.INFO):
        bot.tick()
        clock.advance(minutes=5)
        bot.tick()

    assert len(notices(agent)) == 1
    told = rows(bot, NotificationKind.DEAD_LETTER)
    # One notice to the owner, one to the admin: none about the admin's notice dying.
    assert sorted(r.recipient for r in told) == ["UAGENT", ADMIN]
    assert [r.state for r in told if r.recipient == ADMIN] == [NotificationState.DEAD]
    assert "dead_letter.undeliverable" in caplog.text
    assert len([c for c in slack.calls("chat.postMessage") if c.params.get("channel") == ADMIN]) == 1


def test_an_operator_lists_a_dead_escalation_and_retries_it_once_fixed(
    agent, manager, slack, bot, clock, tmp_path
):
    case = promise_due_in_30_minutes(agent, bot)
    # The app was installed without a permission it needs: Slack refuses the escalation.
    slack.fail("chat.postMessage", status=200, error="missing_scope", only={"channel": "UMGR"})
    clock.advance(minutes=31)
    bot.tick()
    escalation = level_1(bot)
    assert escalation.state is NotificationState.DEAD

    listed = dead(bot, tmp_path, "list")
    assert listed.returncode == 0, listed.stderr
    (line,) = [line for line in listed.stdout.splitlines() if line.startswith(f"{escalation.id} ")]
    assert line.split()[:5] == [str(escalation.id), "escalation", "1", case.ref, "UMGR"]
    assert "missing_scope" in line and "1 dead message." in listed.stdout
    as_json = json.loads(dead(bot, tmp_path, "list", "--json").stdout)
    assert [(m["id"], m["kind"], m["case"], m["recipient"], m["last_error"]) for m in as_json] == [
        (escalation.id, "escalation", case.ref, "UMGR", "missing_scope")
    ]

    # A mistyped id changes nothing, not even the right one beside it.
    wrong = dead(bot, tmp_path, "retry", str(escalation.id), "99999")
    assert wrong.returncode == 2 and "there is no notification 99999" in wrong.stderr
    assert "Nothing was changed" in wrong.stderr
    assert level_1(bot).state is NotificationState.DEAD

    slack.clear_faults()  # reinstalled with every scope
    retried = dead(bot, tmp_path, "retry", str(escalation.id))
    assert retried.returncode == 0 and "Back in line" in retried.stdout, retried.stderr
    bot.tick()
    assert [m for m in manager.dms() if case.ref in m.all_text()], "the escalation never came"
    assert len(posts_to(slack, "UMGR", escalation.id)) == 1
    # The case thread hears that it went up, as it would have the first time.
    assert any("UMGR" in m.all_text() for m in slack.messages("C1") if m.thread_ts == case.card_ts)
    clock.advance(minutes=1)
    bot.tick()
    assert len(posts_to(slack, "UMGR", escalation.id)) == 1
    assert "No dead messages." in dead(bot, tmp_path, "list").stdout
    with bot.db.transaction() as session:
        trail = session.execute(
            select(AuditEntry.action, AuditEntry.case_id).where(AuditEntry.action.like("notification.%"))
        ).all()
    assert sorted(trail) == [("notification.dead", case.case_id), ("notification.retried", case.case_id)]


def test_a_dead_message_that_had_reached_slack_is_not_posted_again_on_retry(
    agent, slack, bot, clock, tmp_path
):
    promise_due_in_30_minutes(agent, bot)
    clock.advance(minutes=15)
    dispatcher = bot.services.dispatcher
    with bot.db.transaction() as session:
        (claim,) = outbox.claim_due(session, clock.now(), dispatcher.lease, 10)
    # The process got the reminder to Slack, then died before recording it.
    dispatcher.sender.deliver(claim)
    assert len(posts_to(slack, "UAGENT", claim.id)) == 1
    # The next attempt must look for it first, and the app may not read its DMs (no im:history):
    # Slack refuses for good, and the reminder is dead although the owner has it.
    slack.fail("conversations.history", status=200, error="missing_scope")
    clock.advance(dispatcher.lease + timedelta(seconds=1))
    bot.tick()
    assert rows(bot, NotificationKind.REMINDER)[0].state is NotificationState.DEAD

    slack.clear_faults()
    clock.advance(hours=3)
    history_before = len(slack.calls("conversations.history"))
    assert dead(bot, tmp_path, "retry", "--all").returncode == 0
    bot.tick()
    assert len(posts_to(slack, "UAGENT", claim.id)) == 1, "posted a reminder Slack already had"
    assert len(slack.calls("conversations.history")) > history_before, "it was not looked for"
    assert rows(bot, NotificationKind.REMINDER)[0].state is NotificationState.SENT


def test_an_operator_drops_a_dead_message_with_a_reason(agent, manager, slack, bot, clock, tmp_path):
    promise_due_in_30_minutes(agent, bot)
    slack.fail("chat.postMessage", status=200, error="account_inactive", only={"channel": "UMGR"})
    clock.advance(minutes=31)
    bot.tick()
    escalation = level_1(bot)

    assert dead(bot, tmp_path, "drop", "424242").returncode == 2
    dropped = dead(bot, tmp_path, "drop", str(escalation.id), "--reason", "maria left; the team knows")
    assert dropped.returncode == 0 and "Dropped" in dropped.stdout, dropped.stderr
    row = level_1(bot)
    assert row.state is NotificationState.CANCELLED
    assert row.last_error.startswith("dropped by operator ")
    with bot.db.transaction() as session:
        (detail,) = session.execute(
            select(AuditEntry.detail).where(AuditEntry.action == "notification.dropped")
        ).scalars()
    assert detail["reason"] == "maria left; the team knows" and detail["error"] == "account_inactive"
    assert detail["notification_id"] == escalation.id

    # Dropped is not dead: gone from the list, and never sent, nor dropped twice.
    slack.clear_faults()
    bot.tick()
    assert manager.dms() == []
    assert "No dead messages." in dead(bot, tmp_path, "list").stdout
    again = dead(bot, tmp_path, "drop", str(escalation.id))
    assert again.returncode == 2 and f"{escalation.id} is cancelled, not dead" in again.stderr


@pytest.mark.backend_independent
def test_bad_arguments_are_refused_in_one_line(tmp_path):
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "dead", *args],
            cwd=tmp_path,
            env=bot_env(DATABASE_URL=f"sqlite:///{tmp_path / 'nowhere.sqlite3'}"),
            capture_output=True,
            text=True,
            timeout=60,
        )

    shown = run("--help")
    assert shown.returncode == 0 and "usage: python -m bot dead" in shown.stdout and "retry" in shown.stdout
    for args, says in [
        (["retry"], "retry takes message ids, or --all"),
        (["retry", "7", "--all"], "retry takes message ids, or --all"),
        (["retry", "CASE-7"], "'CASE-7' is not a message id"),
        (["drop"], "the following arguments are required"),
    ]:
        done = run(*args)
        assert done.returncode == 2 and says in done.stderr, (args, done.stderr)
    assert list(tmp_path.iterdir()) == []


def test_when_the_bot_cant_reach_the_workspace_at_all_nobody_is_sent_a_notice(agent, slack, bot, clock):
    case = promise_due_in_30_minutes(agent, bot)
    # The app's token was revoked: every call is refused, a notice would be too.
    slack.fail("chat.postMessage", status=200, error="token_revoked")
    clock.advance(minutes=31)
    bot.tick()
    assert level_1(bot).state is NotificationState.DEAD
    assert rows(bot, NotificationKind.DEAD_LETTER) == []
    with bot.db.transaction() as session:
        deaths = session.execute(
            select(AuditEntry.case_id).where(AuditEntry.action == "notification.dead")
        ).scalars()
        # The reminder and the escalation: in the case's trail, though nobody could be told.
        assert list(deaths) == [case.case_id, case.case_id]
