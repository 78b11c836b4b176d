"""Retention: the worker's purge lets go of what is done with (handled events and, sooner, their
payloads; messages sent or called off for closed cases and ended promises; request keys) and
keeps what is still needed (open cases and their messages, messages still to send, recent
history); a purged message is never sent again. RETENTION's value, and a bad one.

Seeded with real requests and the ManualClock moved on; the purge is the worker's own job."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app.settings import Settings, SettingsError
from bot.app.worker import Worker
from bot.retention import Retention
from storage import inbox as stored_inbox
from storage.models import (
    Case,
    InboundEvent,
    Interaction,
    Notification,
    NotificationState,
    Promise,
)
from tests.conftest import make_settings


def rows(bot: Any, statement: Any) -> list[Any]:
    with bot.db.transaction() as session:
        return list(session.execute(statement).all())


def count(bot: Any, model: Any, *where: Any) -> int:
    with bot.db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def reminders_about(person: Any, ref: str) -> int:
    return sum(1 for m in person.dms() if "Reminder" in m.all_text() and ref in m.all_text())


def waiting(bot: Any, case: Any) -> int:
    pending = Notification.state == NotificationState.PENDING
    return count(bot, Notification, Notification.case_id == case.case_id, pending)


def test_the_purge_lets_go_of_what_is_done_and_keeps_what_is_still_needed(agent, bot, clock):
    # A case dealt with three months ago: replied to, reminded, promise kept, closed.
    done = agent.open_case("Acme: refund missing")
    agent.reply(done, "Called the customer back")
    agent.command(f"promise {done.ref} in 30 minutes: send the refund")
    clock.advance(minutes=16)
    bot.tick()
    assert reminders_about(agent, done.ref) == 1
    agent.command(f"done {done.ref}")
    agent.command(f"close {done.ref} refunded")
    # A case still open since then, with a promise far ahead.
    still = agent.open_case("Globex: widget broken")
    agent.reply(still, "Left a voicemail")
    agent.command(f"promise {still.ref} in 120 days: check the replacement arrived")
    # A reply eight days ago, and one today, on the open case; and a case opened today.
    clock.advance(days=83)
    agent.reply(still, "Sent the tracking number")
    clock.advance(days=8)
    agent.reply(still, "Customer confirmed delivery")
    recent = agent.open_case("Initech: printer on fire")
    bot.settle()
    events = [row.id for row in rows(bot, select(InboundEvent.id).order_by(InboundEvent.id))]
    assert len(events) == 4
    sent_for_done = count(bot, Notification, Notification.case_id == done.case_id)
    kept_for_still = count(bot, Notification, Notification.case_id == still.case_id)
    assert sent_for_done > 0 and kept_for_still > 0
    # Its reminder and escalation.
    waiting_before = waiting(bot, still)
    assert waiting_before >= 2

    purged = Worker(bot.services).purge()
    assert purged is not None and purged.finished

    # Handled events: the two of three months ago are gone; the others lost their payloads when
    # they were handled (the rows still recognise a retry).
    kept = rows(bot, select(InboundEvent.id, InboundEvent.payload).order_by(InboundEvent.id))
    assert [row.id for row in kept] == events[2:]
    assert [row.payload for row in kept] == [None, None]
    # The closed case's messages are gone; the open case keeps all of its own, even those sent
    # three months ago, and its reminder still waits; today's card is kept.
    assert count(bot, Notification, Notification.case_id == done.case_id) == 0
    assert count(bot, Notification, Notification.case_id == still.case_id) == kept_for_still
    assert waiting(bot, still) == waiting_before
    assert count(bot, Notification, Notification.case_id == recent.case_id) > 0
    # Nothing handled still had a payload to clear.
    assert purged.counts["events"] == 2 and purged.counts.get("payloads_cleared", 0) == 0
    assert purged.counts["notifications"] == sent_for_done
    # Request keys older than the payloads' week are forgotten; today's are kept.
    oldest = rows(bot, select(func.min(Interaction.seen_at)))[0][0]
    assert oldest is not None and oldest >= clock.now() - timedelta(days=7)
    # Cases, contacts and promises are the record: all kept.
    assert count(bot, Case) == 3 and count(bot, Promise) == 2
    shown = agent.command(f"show {done.ref}").text
    assert "send the refund" in shown and "Called the customer back" in shown

    # The purged reminder is never sent again, even with its case open again; the open case's
    # waiting reminder goes out when it is due.
    agent.command(f"reopen {done.ref} the refund bounced")
    bot.tick()
    clock.advance(days=30)
    bot.tick()
    assert reminders_about(agent, done.ref) == 1
    assert reminders_about(agent, still.ref) == 1
    # A second purge finds nothing more of the record to let go.
    again = Worker(bot.services).purge()
    assert again is not None and "events" not in again.counts and "notifications" not in again.counts


def test_nothing_recent_is_purged(agent, bot, clock):
    case = agent.open_case("Acme: refund missing")
    agent.reply(case, "Called the customer back")
    agent.command(f"promise {case.ref} in 30 minutes: send the refund")
    clock.advance(minutes=16)
    bot.tick()
    agent.command(f"done {case.ref}")
    agent.command(f"close {case.ref} refunded")
    clock.advance(days=6)
    before = count(bot, Notification), count(bot, InboundEvent), count(bot, Interaction)

    purged = Worker(bot.services).purge()

    assert purged is not None and purged.counts == {}
    assert (count(bot, Notification), count(bot, InboundEvent), count(bot, Interaction)) == before


class TestHistoryKeptForever:
    @pytest.fixture
    def bot_settings(self, slack, database_url):
        # Everything handled is kept; payloads go after a day.
        return make_settings(
            slack, database_url, retention=Retention(history=None, payloads=timedelta(days=1))
        )

    def test_every_row_is_kept_and_payloads_still_go(self, agent, bot, clock):
        case = agent.open_case("Acme: refund missing")
        agent.reply(case, "Called the customer back")
        agent.command(f"close {case.ref} refunded")
        clock.advance(days=400)
        before = count(bot, Notification), count(bot, InboundEvent)

        purged = Worker(bot.services).purge()

        assert purged is not None and set(purged.counts) == {"interactions"}
        assert (count(bot, Notification), count(bot, InboundEvent)) == before
        assert rows(bot, select(InboundEvent.payload))[0].payload is None


# ---- the settings -----------------------------------------------------------------------------


@pytest.mark.backend_independent
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, Retention(timedelta(days=90), timedelta(days=7), timedelta(days=30))),
        (
            {"RETENTION": "history:180d"},
            Retention(timedelta(days=180), timedelta(days=7), timedelta(days=30)),
        ),
        ({"RETENTION": "payloads:2d, history:2w"}, Retention(timedelta(weeks=2), timedelta(days=2))),
        ({"RETENTION": "history:forever,payloads:30d"}, Retention(None, timedelta(days=30))),
        ({"UNINSTALL_GRACE": "7d"}, Retention(uninstall_grace=timedelta(days=7))),
    ],
)
def test_retention_is_read_from_the_environment(env, expected):
    assert Settings.from_env(env).retention == expected


@pytest.mark.backend_independent
@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"RETENTION": "90d"}, "RETENTION='90d': '90d' is not history:… or payloads:…"),
        ({"RETENTION": "history:90x"}, "history:90x is not a duration"),
        ({"RETENTION": "events:30d"}, "'events:30d' is not history:… or payloads:…"),
        ({"RETENTION": "history:30d,history:60d"}, "history is given twice"),
        ({"RETENTION": "payloads:2h"}, "payloads:2h is too short: keep at least 1d"),
        ({"UNINSTALL_GRACE": "a month"}, "UNINSTALL_GRACE='a month' is not a duration"),
    ],
)
def test_a_bad_retention_stops_start_up_with_one_line(env, said):
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)
    message = str(raised.value)
    assert said in message and "\n" not in message
    if "RETENTION" in env:
        assert "history:90d,payloads:7d" in message


def test_the_newest_message_is_kept_so_that_its_id_is_never_given_to_another(agent, bot, clock):
    # SQLite gives a new row the highest id + 1: were the newest deleted, the next message would
    # get its id, and the look for an earlier delivery (by id) could take the old one for it.
    case = agent.open_case("Acme: refund missing")
    agent.command(f"close {case.ref} refunded")
    ids = [row.id for row in rows(bot, select(Notification.id).order_by(Notification.id))]
    assert len(ids) >= 2
    clock.advance(days=91)

    Worker(bot.services).purge()

    assert [row.id for row in rows(bot, select(Notification.id))] == ids[-1:]
    agent.open_case("Globex: widget broken")
    assert (
        min(row.id for row in rows(bot, select(Notification.id).where(Notification.id != ids[-1]))) > ids[-1]
    )


def test_a_reply_keeps_no_payload_once_handled_and_one_never_handled_keeps_it(agent, bot, clock):
    case = agent.open_case("Acme: refund missing")
    agent.reply(case, "Customer read me card ending 4242")
    assert rows(bot, select(InboundEvent.payload)) == [(None,)], "handled: nothing of it is kept"
    # A reply a worker took and died on: its payload is what it will be handled from.
    waiting_event = {
        "type": "message",
        "channel": "C1",
        "user": "UAGENT",
        "text": "Called back",
        "ts": f"{clock.now().timestamp() + 5:.6f}",
        "thread_ts": case.card_ts,
    }
    with bot.db.transaction() as session:
        stored_inbox.record(session, "T1", "EvWAITING", waiting_event, clock.now())
        stored_inbox.claim(
            session,
            stored_inbox.claimable(session, clock.now(), 10),
            clock.now(),
            clock.now() + timedelta(days=365),
        )
    clock.advance(days=30)

    Worker(bot.services).purge()

    payloads = rows(bot, select(InboundEvent.event_id, InboundEvent.payload).order_by(InboundEvent.id))
    assert [(event_id, payload is None) for event_id, payload in payloads][-1] == ("EvWAITING", False)
