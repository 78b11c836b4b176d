"""The case card, its buttons and the modals behind them, and the buttons on reminders, driven
as Slack drives them: signed block_actions and view_submission payloads. The stand-in checks
every view and message against Block Kit's rules (tests/conftest.py fails a test on any
refusal), so these tests also prove that what the bot draws is valid."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.new_times import Snooze
from handlers.ids import ActionId, BlockId, CallbackId
from handlers.views.snooze import LABELS
from storage.models import AuditEntry, Case, Contact, Promise, PromiseState
from tests.conftest import make_settings, wait_until


def card_of(slack, case):
    return slack.message(case.channel, case.card_ts)


def blocks_of(message) -> list:
    body = getattr(message, "body", None)
    return (body.get("blocks") if isinstance(body, dict) else message.blocks) or []


def button_ids(message) -> set[str]:
    return {
        element.get("action_id")
        for block in blocks_of(message)
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    }


def promise_by_modal(agent, slack, case, what="Call back with the tracking number", **when):
    agent.click(card_of(slack, case), ActionId.CARD_PROMISE.value)
    values = {BlockId.WHAT.value: what, **when}
    return agent.submit(agent.modal(CallbackId.MAKE_PROMISE.value), values)


# -- the card -------------------------------------------------------------------------------


def test_the_card_has_the_buttons_and_follows_the_case(agent, slack, bot, clock):
    case = agent.open_case("Acme Corp: refund not received")
    card = card_of(slack, case)
    assert button_ids(card) == {
        ActionId.CARD_LOG_CONTACT,
        ActionId.CARD_PROMISE,
        ActionId.CARD_EDIT,
        ActionId.CARD_CLOSE,
    }
    assert "*Contacts*\n0" in card.all_text() and "None open" in card.all_text()

    agent.reply(case, "Called the customer: the refund is stuck at the bank")
    agent.reply(case, "Emailed the bank's reference number")
    assert "*Contacts*\n2" in card_of(slack, case).all_text()

    agent.command(f"promise {case.ref} in 2 hours: call back with the bank's answer")
    card = card_of(slack, case)
    due = int((clock.now() + timedelta(hours=2)).timestamp())
    assert "call back with the bank's answer" in card.all_text() and f"<!date^{due}^" in card.all_text()
    assert ActionId.CARD_DONE in button_ids(card)

    agent.command(f"done {case.ref}")
    card = card_of(slack, case)
    assert "None open" in card.all_text() and ActionId.CARD_DONE not in button_ids(card)
    # Redrawn in place: still one card, edited, never a second message.
    tops = [m for m in slack.messages("C1") if m.thread_ts is None]
    assert len(tops) == 1 and len(card.history) >= 4


def test_a_storm_of_replies_redraws_the_card_once_per_round_not_once_per_reply(agent, signer, slack, bot):
    case = agent.open_case("Acme: refund")
    before = len(slack.calls("chat.update"))
    # Each redraw takes Slack two seconds, and the replies come much faster than that, one
    # after another: each is logged (its card version committed) and has asked for its redraw
    # before the next is sent, so no reply's redraw is superseded before it is asked for.
    # Drawn once per reply, that is up to 20 redraws at Slack at once; drawn once per round
    # (Dispatcher.deliver_newest), the first reply's, then only the newest asked for meanwhile.
    redraw_s = 2.0
    slack.delay("chat.update", redraw_s)
    replies = 20

    def logged() -> int:
        with bot.db.transaction() as session:
            return session.execute(
                select(func.count()).select_from(Contact).where(Contact.case_id == case.case_id)
            ).scalar_one()

    for number in range(1, replies + 1):
        ack = signer.thread_reply(f"contact {number}", thread_ts=case.card_ts, user="UAGENT")
        assert ack.status == 200, ack.body
        wait_until(lambda number=number: logged() == number, timeout=10)
        time.sleep(0.05)  # its listener adds the reaction, then asks for the redraw
    bot.settle(timeout=60)
    bot.tick()  # what the dispatcher's poll sends: a redraw passed over in the storm, if any
    redraws = sorted(call.at for call in slack.calls("chat.update")[before:])
    # A third round when the storm outlasts one redraw on a busy machine.
    assert len(redraws) <= 3, slack.describe_calls(30)
    # One redraw of a card at Slack at a time: the next one starts when the last has answered.
    gaps = [later - earlier for earlier, later in zip(redraws, redraws[1:], strict=False)]
    assert all(gap >= redraw_s * 0.95 for gap in gaps), gaps
    assert "*Contacts*\n20" in card_of(slack, case).all_text()


def test_open_case_modal_takes_the_customers_numbers_and_priority(agent, slack, bot):
    agent.command("open")
    modal = agent.modal(CallbackId.OPEN_CASE.value)
    reply = agent.submit(
        modal,
        {
            BlockId.CUSTOMER.value: "Acme Corp",
            BlockId.SUMMARY.value: "Parcel lost in transit",
            BlockId.ORDER.value: "SO-10042",
            BlockId.TRACKING.value: "1Z999AA10123456784",
            BlockId.PRIORITY.value: "urgent",
            BlockId.VIA.value: "phone",
        },
    )
    assert not (reply.json or {}).get("errors"), reply.body
    card = [m for m in slack.messages("C1") if m.thread_ts is None][-1].all_text()
    assert "Acme Corp" in card and "Parcel lost in transit" in card
    assert "Order SO-10042" in card and "Tracking 1Z999AA10123456784" in card
    assert "Urgent" in card and "First contact by phone" in card


def test_open_case_modal_needs_a_summary_and_says_so_in_the_field(agent, slack, bot):
    agent.command("open")
    reply = agent.submit(
        agent.modal(CallbackId.OPEN_CASE.value),
        {BlockId.CUSTOMER.value: "Acme", BlockId.SUMMARY.value: "   "},
        check_inputs=False,
    )
    assert reply.json["response_action"] == "errors" and BlockId.SUMMARY.value in reply.json["errors"]
    with bot.db.transaction() as session:
        assert session.execute(select(Case)).first() is None


# -- the promise modal ------------------------------------------------------------------------


def test_promise_modal_reads_the_pickers_in_the_owners_time_zone(agent, slack, bot):
    case = agent.open_case("Acme: refund")
    # alex is in New York: 2026-11-24 15:00 there is 20:00 UTC.
    reply = promise_by_modal(
        agent, slack, case, **{BlockId.WHEN_DATE.value: "2026-11-24", BlockId.WHEN_TIME.value: "15:00"}
    )
    assert not (reply.json or {}).get("errors"), reply.body
    with bot.db.transaction() as session:
        promise = session.execute(select(Promise)).scalar_one()
        assert promise.due_at == datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
    confirmation = slack.ephemerals[-1].all_text()
    assert "Promise recorded" in confirmation and "escalates to" in confirmation


def test_promise_modal_shows_each_mistake_next_to_its_field(agent, slack, bot):
    case = agent.open_case("Acme: refund")
    agent.click(card_of(slack, case), ActionId.CARD_PROMISE.value)
    modal = agent.modal(CallbackId.MAKE_PROMISE.value)
    cases = [
        ({BlockId.WHAT.value: "call back"}, BlockId.WHEN_TEXT, "When?"),
        ({BlockId.WHAT.value: "call back", BlockId.WHEN_DATE.value: "2026-11-24"}, BlockId.WHEN_TIME, "time"),
        (
            {BlockId.WHAT.value: "call back", BlockId.WHEN_TEXT.value: "yesterday 3pm"},
            BlockId.WHEN_TEXT,
            "past",
        ),
        (
            {
                BlockId.WHAT.value: "call back",
                BlockId.WHEN_TEXT.value: "in 1 hour",
                BlockId.WHEN_TIME.value: "15:00",
            },
            BlockId.WHEN_TEXT,
            "not both",
        ),
        (
            {BlockId.WHAT.value: "call back", BlockId.WHEN_TEXT.value: "whenever"},
            BlockId.WHEN_TEXT,
            "can't read",
        ),
    ]
    for values, block, says in cases:
        reply = agent.submit(
            modal,
            {
                BlockId.WHEN_DATE.value: None,
                BlockId.WHEN_TIME.value: None,
                BlockId.WHEN_TEXT.value: None,
                **values,
            },
        )
        assert reply.json["response_action"] == "errors", values
        assert says in reply.json["errors"][block.value], (values, reply.json)
    with bot.db.transaction() as session:
        assert session.execute(select(Promise)).first() is None


def test_someone_who_may_not_promise_is_told_in_the_modal(agent, other, slack, bot):
    case = agent.open_case("Acme: refund")
    other.click(card_of(slack, case), ActionId.CARD_PROMISE.value)
    reply = other.submit(
        other.modal(CallbackId.MAKE_PROMISE.value),
        {BlockId.WHAT.value: "call back", BlockId.WHEN_TEXT.value: "in 1 hour"},
    )
    assert reply.json["response_action"] == "errors"
    assert "Only <@UAGENT>" in reply.json["errors"][BlockId.WHAT.value]


# -- done, close, log contact -----------------------------------------------------------------


def test_done_on_the_card_keeps_the_promise_it_shows(agent, manager, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 1 hour: call back")
    agent.click(card_of(slack, case), ActionId.CARD_DONE.value)
    assert "Kept" in slack.responses[-1].all_text()
    clock.advance(hours=2)
    bot.tick()
    assert manager.dms() == []


def test_close_modal_records_resolution_and_recurrence(agent, slack, bot):
    case = agent.open_case("Acme: parcel late again")
    agent.click(card_of(slack, case), ActionId.CARD_CLOSE.value)
    modal = agent.modal(CallbackId.CLOSE_CASE.value)
    reply = agent.submit(
        modal, {BlockId.RESOLUTION.value: "Courier re-sent it", BlockId.RECURRENCE.value: "recurring"}
    )
    assert reply.json["response_action"] == "errors" and BlockId.CATEGORY.value in reply.json["errors"]
    reply = agent.submit(modal, {BlockId.CATEGORY.value: "Late deliveries"})
    assert not (reply.json or {}).get("errors"), reply.body
    card = card_of(slack, case)
    assert "Closed" in card.all_text() and "Courier re-sent it" in card.all_text()
    assert "recurring" in card.all_text() and button_ids(card) == set()
    with bot.db.transaction() as session:
        stored = session.get(Case, case.case_id)
        assert (stored.recurrence.value, stored.category, stored.close_note) == (
            "recurring",
            "Late deliveries",
            "Courier re-sent it",
        )


def test_close_with_an_open_promise_asks_what_became_of_it_in_the_modal(agent, slack, bot):
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 1 hour: call back")
    agent.click(card_of(slack, case), ActionId.CARD_CLOSE.value)
    modal = agent.modal(CallbackId.CLOSE_CASE.value)
    with bot.db.transaction() as session:
        promise_id = session.execute(select(Promise.id)).scalar_one()
    # Unanswered, the question about the promise says so under itself; nothing closes.
    reply = agent.submit(
        modal, {BlockId.RESOLUTION.value: "done", BlockId.RECURRENCE.value: "single"}, check_inputs=False
    )
    assert "Say what became of this promise" in reply.json["errors"][f"fate.{promise_id}"]
    assert "Open" in card_of(slack, case).all_text()


def test_log_contact_button_logs_it_once_and_says_it_in_the_thread(agent, slack, bot):
    case = agent.open_case("Acme: refund")
    agent.click(card_of(slack, case), ActionId.CARD_LOG_CONTACT.value)
    modal = agent.modal(CallbackId.LOG_CONTACT.value)
    values = {BlockId.CONTACT.value: "Customer rang: still waiting", BlockId.VIA.value: "phone"}
    # The same submission delivered twice (a flaky network between Slack and us).
    payload = agent.client.view_submission_payload(modal, values, user="UAGENT")
    for _ in range(2):
        assert agent.client.interactive(payload).status == 200
        bot.settle()
    notes = [m for m in slack.thread("C1", case.card_ts) if "Customer rang" in m.all_text()]
    assert len(notes) == 1 and "by phone" in notes[0].all_text()
    assert "*Contacts*\n1" in card_of(slack, case).all_text()
    with bot.db.transaction() as session:
        contacts = session.execute(select(Contact)).scalars().all()
        assert [(c.text, c.via, c.author_id) for c in contacts] == [
            ("Customer rang: still waiting", "phone", "UAGENT")
        ]


# -- reminder buttons -------------------------------------------------------------------------


def reminder_for(agent, bot, clock, case, minutes=30, what="call back", lead=15):
    agent.command(f"promise {case.ref} in {minutes} minutes: {what}")
    clock.advance(minutes=minutes - lead + 1)
    bot.tick()
    reminders = [m for m in agent.dms() if "Reminder" in m.all_text()]
    assert reminders, agent.slack.describe_calls()
    return reminders[-1]


def test_reminder_done_keeps_it_and_redraws_the_reminder(agent, manager, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme: refund")
    reminder = reminder_for(agent, bot, clock, case)
    assert button_ids(reminder) == {
        ActionId.REMINDER_DONE,
        ActionId.REMINDER_RESCHEDULE,
        ActionId.REMINDER_SNOOZE,
        ActionId.REMINDER_ESCALATE,
    }
    # Kept on a laptop; the phone still shows the old reminder and its buttons.
    stale_click = agent.client.block_action_payload(reminder, ActionId.REMINDER_DONE.value, user="UAGENT")
    agent.click(reminder, ActionId.REMINDER_DONE.value)
    redrawn = slack.message(reminder.channel, reminder.ts)
    assert button_ids(redrawn) == set() and "Kept" in redrawn.all_text()
    clock.advance(hours=1)
    bot.tick()
    assert manager.dms() == []
    assert agent.client.interactive(stale_click).status == 200
    bot.settle()
    assert "isn't open any more" in slack.responses[-1].all_text()


def test_reschedule_needs_the_customer_told_and_replaces_the_promise(agent, manager, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme: refund")
    reminder = reminder_for(agent, bot, clock, case)
    agent.click(reminder, ActionId.REMINDER_RESCHEDULE.value)
    modal = agent.modal(CallbackId.RESCHEDULE.value)
    reply = agent.submit(
        modal,
        {
            BlockId.WHEN_TEXT.value: "in 3 hours",
            BlockId.NOTE.value: "Courier needs a day",
            BlockId.TOLD.value: [],
        },
        check_inputs=False,
    )
    assert BlockId.TOLD.value in reply.json["errors"]
    reply = agent.submit(modal, {BlockId.TOLD.value: ["told"]})
    assert not (reply.json or {}).get("errors"), reply.body
    assert "Rescheduled" in slack.message(reminder.channel, reminder.ts).all_text()
    with bot.db.transaction() as session:
        old, new = session.execute(select(Promise).order_by(Promise.id)).scalars().all()
        assert (
            old.state is PromiseState.RESCHEDULED
            and old.customer_told
            and old.reschedule_note == "Courier needs a day"
        )
        assert new.replaces_id == old.id and new.state is PromiseState.OPEN
        assert new.due_at == clock.now() + timedelta(hours=3)
    assert any("rescheduled" in m.all_text() for m in slack.thread("C1", case.card_ts))
    # The old due time passes without an escalation; the new one escalates once.
    clock.advance(minutes=30)
    bot.tick()
    assert manager.dms() == []
    clock.advance(hours=3)
    bot.tick()
    assert len(manager.dms()) == 1


class TestWithAnHourOfLead:
    """Reminded an hour ahead: a 15-minute snooze fits before the due time."""

    @pytest.fixture
    def bot_settings(self, slack, database_url):
        return make_settings(slack, database_url, reminder_lead=timedelta(hours=1))

    def test_snooze_reminds_again_in_15_minutes_without_moving_the_promise(
        self, agent, manager, slack, bot, clock
    ):
        agent.names_manager("UMGR")
        case = agent.open_case("Acme: refund")
        reminder = reminder_for(agent, bot, clock, case, minutes=120, lead=60)
        agent.click(reminder, ActionId.REMINDER_SNOOZE.value, option=LABELS[Snooze.MINUTES_15])
        snoozed = slack.message(reminder.channel, reminder.ts)
        # Still a reminder: Done and Reschedule stay at hand.
        assert "Snoozed" in snoozed.all_text() and ActionId.REMINDER_DONE in button_ids(snoozed)
        clock.advance(minutes=14)
        bot.tick()
        assert len([m for m in agent.dms() if "Reminder" in m.all_text()]) == 1
        clock.advance(minutes=1)
        bot.tick()
        assert len([m for m in agent.dms() if "Reminder" in m.all_text()]) == 2
        clock.advance(minutes=45)
        bot.tick()
        assert len(manager.dms()) == 1  # due at the time promised, snooze or not


def test_escalate_now_tells_the_manager_at_once_and_only_once(agent, manager, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme: refund")
    reminder = reminder_for(agent, bot, clock, case)
    agent.click(reminder, ActionId.REMINDER_ESCALATE.value)
    assert len(manager.dms()) == 1 and "<@UMGR>" in slack.responses[-1].all_text()
    clock.advance(minutes=20)
    bot.tick()
    assert len(manager.dms()) == 1


def test_every_choice_is_on_the_record(agent, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme: refund")
    reminder = reminder_for(agent, bot, clock, case)
    agent.click(reminder, ActionId.REMINDER_SNOOZE.value, option=LABELS[Snooze.LAST_CALL])
    agent.click(reminder, ActionId.REMINDER_ESCALATE.value)
    with bot.db.transaction() as session:
        actions = [e.action for e in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]
    assert "reminder.snoozed" in actions and "escalation.early" in actions


# -- /case show pages through a long contact log ---------------------------------------------


def test_show_pages_through_a_long_contact_log_without_dropping_any(agent, slack, bot):
    case = agent.open_case("Acme: refund")
    for number in range(1, 41):
        agent.reply(case, f"contact number {number:02d} " + "x" * 250)
    shown = agent.command(f"show {case.ref}")
    seen = set()
    page = shown.responses[-1]
    for _ in range(5):
        seen |= {int(n) for n in re.findall(r"contact number (\d\d)", page.all_text())}
        if ActionId.CONTACTS_OLDER not in button_ids(page):
            break
        agent.click(page, ActionId.CONTACTS_OLDER.value)
        page = slack.responses[-1]
    # And back again.
    agent.click(page, ActionId.CONTACTS_NEWER.value)
    assert "contact number 11" in slack.responses[-1].all_text()
    assert seen == set(range(1, 41))
