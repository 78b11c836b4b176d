"""Two clocks: a case may carry its customer's time zone. Promises are then shown on both ("15:00
for the customer = <your time> for you") and may be given on the customer's clock ("3pm
customer time"). Through signed commands, thread replies and the open-case form."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.errors import CaseError
from bot.timeparse import find_zone, says_customer_time
from handlers.ids import BlockId, CallbackId
from storage.models import Case, Promise

unit = pytest.mark.backend_independent
BERLIN = ZoneInfo("Europe/Berlin")


@unit
@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("  Asia/Tokyo ", "Asia/Tokyo"),
    ],
)
def test_find_zone_reads_names_and_cities(typed, zone):
    assert find_zone(typed) == zone


@unit
@pytest.mark.parametrize("typed", ["", "Atlantis", "GMT+25", "Europe/"])
def test_find_zone_refuses_what_is_not_a_zone(typed):
    with pytest.raises(CaseError):
        find_zone(typed)


@unit
@pytest.mark.parametrize(
    ("text", "phrase", "theirs"),
    [
        ("3pm customer time", "3pm", True),
        ("tomorrow 9:00 (customer's time)", "tomorrow 9:00", True),
        ("friday 10am their local time", "friday 10am", True),
        ("3pm", "3pm", False),
        ("in 2 hours", "in 2 hours", False),
    ],
)
def test_customer_time_is_recognised_at_the_end(text, phrase, theirs):
    assert says_customer_time(text) == (phrase, theirs)


def stored_case(bot, case_id):
    with bot.db.transaction() as session:
        case = session.get(Case, case_id)
        return case.customer_tz


def promise_due(bot):
    with bot.db.transaction() as session:
        return [p.due_at for p in session.execute(select(Promise).order_by(Promise.id)).scalars()]


def test_customer_zone_is_set_shown_on_the_card_and_promises_read_on_their_clock(agent, slack, bot, clock):
    case = agent.open_case("Müller GmbH: missing parts")
    reply = agent.command(f"tz {case.ref} Berlin")
    assert "Europe/Berlin" in reply.text and reply.ephemeral
    assert stored_case(bot, case.case_id) == "Europe/Berlin"
    bot.tick()
    assert "Customer's time zone Europe/Berlin" in slack.message("C1", case.card_ts).all_text()

    # The agent is in New York (09:00 there now); 5pm customer time is 17:00 in Berlin.
    result = agent.command(f"promise {case.ref} 5pm customer time: call back with the parts list")
    (due_at,) = promise_due(bot)
    local = due_at.astimezone(BERLIN)
    assert (local.hour, local.minute) == (17, 0) and due_at > clock.now()
    assert "17:00" in result.text and "for the customer (Europe/Berlin)" in result.text
    assert f"<!date^{int(due_at.timestamp())}^" in result.text  # and the reader's own clock
    # The thread note and the card show both clocks too.
    bot.tick()
    note = [m for m in slack.thread("C1", case.card_ts) if "call back with the parts list" in m.all_text()]
    assert note and "17:00" in note[0].all_text() and "for the customer" in note[0].all_text()


def test_a_promise_on_the_agents_own_clock_still_shows_the_customers(agent, bot):
    case = agent.open_case("Müller GmbH: missing parts")
    agent.command(f"tz {case.ref} Europe/Berlin")
    result = agent.command(f"promise {case.ref} tomorrow 9am: email the invoice")
    (due_at,) = promise_due(bot)
    # 9am in New York is 15:00 in Berlin.
    assert due_at.astimezone(ZoneInfo("America/New_York")).hour == 9
    assert f"{due_at.astimezone(BERLIN):%H:%M}" == "15:00"
    assert "15:00" in result.text and "for the customer" in result.text


def test_customer_time_without_a_customer_zone_records_nothing(agent, bot):
    case = agent.open_case("Acme: refund")
    result = agent.command(f"promise {case.ref} 3pm customer time: call back")
    assert "no customer time zone" in result.text and "/case tz CASE-n" in result.text
    assert promise_due(bot) == []


def test_customer_time_from_the_thread(agent, bot):
    case = agent.open_case("Tanaka KK: login")
    agent.command(f"tz {case.ref} Asia/Tokyo")
    agent.reply(case, "promise tomorrow 10:00 customer time: call back")
    (due_at,) = promise_due(bot)
    local = due_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local.hour, local.minute) == (10, 0)


def test_a_bad_zone_or_someone_elses_case_changes_nothing(agent, other, bot):
    case = agent.open_case("Acme: refund")
    reply = agent.command(f"tz {case.ref} Atlantis")
    assert "not a time zone I know" in reply.text and reply.ephemeral
    reply = other.command(f"tz {case.ref} Europe/Berlin")
    assert "<@UAGENT>" in reply.text
    assert stored_case(bot, case.case_id) is None
    shown = agent.command(f"tz {case.ref}")
    assert "has no customer time zone" in shown.text


def test_the_open_case_form_takes_the_customers_zone(agent, slack, bot):
    agent.command("open")
    form = agent.modal(CallbackId.OPEN_CASE.value)
    values = {
        BlockId.CUSTOMER.value: "Windy City Bikes",
        BlockId.SUMMARY.value: "Wrong frame size",
        BlockId.CUSTOMER_TZ.value: "Atlantis",
    }
    reply = agent.submit(form, values)
    assert BlockId.CUSTOMER_TZ.value in reply.json["errors"]
    with bot.db.transaction() as session:
        assert session.execute(select(Case)).first() is None
    reply = agent.submit(form, {**values, BlockId.CUSTOMER_TZ.value: "Chicago"})
    assert not (reply.json or {}).get("errors"), reply.body
    with bot.db.transaction() as session:
        (case,) = session.execute(select(Case)).scalars().all()
        assert case.customer_tz == "America/Chicago"


def test_reminder_shows_both_clocks(agent, bot, clock):
    case = agent.open_case("Müller GmbH: missing parts")
    agent.command(f"tz {case.ref} Europe/Berlin")
    agent.command(f"promise {case.ref} in 1 hour: call back")
    clock.advance(minutes=46)
    bot.tick()
    (reminder,) = [m for m in agent.dms() if "Reminder" in m.all_text()]
    (due_at,) = promise_due(bot)
    assert f"{due_at.astimezone(BERLIN):%H:%M} " in reminder.all_text()
    assert "for the customer (Europe/Berlin)" in reminder.all_text()


@unit
def test_customer_clock_formats_on_their_wall_clock_across_dst():
    # Not a Slack test: the wording of the customer's clock on the day Europe leaves DST.
    from handlers.views.blocks import customer_clock

    case = Case(customer_tz="Europe/Berlin")
    moment = datetime(2026, 10, 25, 14, 0, tzinfo=ZoneInfo("UTC"))
    assert customer_clock(case, moment) == "15:00 Sun Oct 25 for the customer (Europe/Berlin)"
