"""A thread reply about a promise gets one clear answer: a `promise …` reply that can't be
recorded is kept as a contact, marked ⚠️ (not ✅), with one message saying both; a reply that
only reads like a promise ("I'll call you back by 3pm") is offered to be recorded, never
recorded silently."""

import logging
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.timeparse import parse_when
from handlers.ids import ActionId, BlockId, CallbackId
from handlers.parse_replies import PromiseOffer, promise_offer
from slack_standin import SlackEventsClient
from storage.models import Contact, Promise
from tests.conftest import SIGNING_SECRET, Person, RunningBot, action_ids


def promises(bot) -> list[tuple[str, datetime]]:
    with bot.db.transaction() as session:
        return [(p.description, p.due_at) for p in session.execute(select(Promise)).scalars()]


def contacts(bot) -> list[str]:
    with bot.db.transaction() as session:
        return list(session.execute(select(Contact.text)).scalars())


def reactions(slack) -> list[str]:
    return sorted(r.name for r in slack.reactions)


def offers(slack) -> list:
    return [e for e in slack.ephemerals if ActionId.RECORD_OFFERED_PROMISE.value in action_ids(e)]


# ---- a `promise …` reply that records nothing -------------------------------------------------


@pytest.mark.parametrize(
    "text, why",
    [
        ("Promise: tomorrow call", "Say when and what, separated by a colon"),
        ("promise sometime: call back", "can't read “sometime”"),
    ],
)
def test_a_promise_reply_that_cant_be_read_is_a_contact_with_a_warning_and_one_answer(
    agent, slack, bot, text, why
):
    case = agent.open_case("Acme: refund")
    agent.reply(case, text)
    assert promises(bot) == []
    assert contacts(bot) == [text]  # never lose what was said
    assert reactions(slack) == ["warning"]
    [answer] = slack.ephemerals
    assert answer.user == "UAGENT" and answer.thread_ts == case.card_ts
    shown = answer.all_text()
    assert "Logged as a contact, but no promise recorded" in shown and why in shown
    # As Slack shows it: the usage's <when> escaped, so it is text and not a link.
    assert "`promise &lt;when&gt;: &lt;what&gt;`" in shown or "tomorrow 3pm" in shown


def test_a_promise_refused_to_someone_else_is_a_contact_with_a_warning(agent, other, slack, bot):
    case = agent.open_case("Acme: refund")
    other.reply(case, "promise in 2 hours: call back")
    assert promises(bot) == []
    assert contacts(bot) == ["promise in 2 hours: call back"]
    assert reactions(slack) == ["warning"]
    [answer] = slack.ephemerals
    assert answer.user == "UOTHER"
    assert "Logged as a contact, but no promise recorded: Only <@UAGENT>" in answer.all_text()


def test_a_promise_reply_that_is_recorded_still_gets_its_tick(agent, slack, bot):
    case = agent.open_case("Acme: refund")
    agent.reply(case, "promise in 2 hours: call back")
    assert [p[0] for p in promises(bot)] == ["call back"]
    assert reactions(slack) == ["white_check_mark"]
    assert not slack.ephemerals


# ---- a reply that reads like a promise --------------------------------------------------------


def test_a_reply_that_reads_like_a_promise_is_offered_and_recorded_from_the_filled_in_form(
    agent, slack, bot, clock
):
    case = agent.open_case("Acme: refund")
    agent.reply(case, "Spoke to her. I'll call you back by 3pm with the tracking number")
    # Logged as a contact, as any reply; nothing recorded unasked.
    assert reactions(slack) == ["white_check_mark"]
    assert promises(bot) == []
    [offer] = offers(slack)
    assert offer.user == "UAGENT" and offer.thread_ts == case.card_ts
    shown = offer.all_text()
    assert "reads like a promise on CASE-1: “Call you back with the tracking number”, 3pm" in shown
    assert "`promise 3pm: call you back with the tracking number`" in shown

    agent.click(offer, ActionId.RECORD_OFFERED_PROMISE.value)
    form = agent.modal(CallbackId.MAKE_PROMISE.value)
    # The offer gives way, so a second click can't open a second form.
    now_shown = slack.current_ephemeral(offer.message_ts)
    assert not action_ids(now_shown) and "The promise form is open" in now_shown.all_text()

    agent.submit(form)  # as filled in
    # UAGENT is in New York: 15:00 there, today or tomorrow, whichever comes first.
    local = clock.now().astimezone(ZoneInfo("America/New_York"))
    due = local.replace(hour=15, minute=0, second=0, microsecond=0)
    if due <= local:
        due += timedelta(days=1)
    assert promises(bot) == [("Call you back with the tracking number", due.astimezone(UTC))]


def test_the_filled_in_form_can_be_corrected_before_recording(agent, slack, bot, clock):
    case = agent.open_case("Acme: refund")
    agent.reply(case, "I promise to call tomorrow")
    [offer] = offers(slack)
    agent.click(offer, ActionId.RECORD_OFFERED_PROMISE.value)
    form = agent.modal(CallbackId.MAKE_PROMISE.value)
    filled = {
        b["block_id"]: b["element"].get("initial_value") for b in form.view["blocks"] if b["type"] == "input"
    }
    assert filled[BlockId.WHAT.value] == "Call" and filled[BlockId.WHEN_TEXT.value] == "tomorrow"
    agent.submit(
        form, {BlockId.WHAT.value: "Call with the refund date", BlockId.WHEN_TEXT.value: "in 3 hours"}
    )
    assert promises(bot) == [("Call with the refund date", clock.now() + timedelta(hours=3))]


@pytest.mark.parametrize(
    "text",
    [
        "Customer will call tomorrow",  # not the author's promise
        "I'll be off tomorrow, Sam has it",
        "Will you be around tomorrow?",
        "I'll look into it",  # no time
        "note: I will call tomorrow",  # a note, never a promise
        "Promise: tomorrow call",  # a request that failed: its own answer only
    ],
)
def test_replies_that_are_no_promise_of_the_authors_get_no_offer(agent, slack, bot, text):
    case = agent.open_case("Acme: refund")
    agent.reply(case, text)
    assert offers(slack) == []
    assert promises(bot) == []


@pytest.fixture
def one_lane_bot(bot_settings, clock):
    """A bot with one thread for events: replies that arrive while it is busy queue behind it."""
    running = RunningBot(bot_settings, clock, event_lane=(1, 100))
    yield running
    running.stop()


def test_in_a_storm_of_replies_the_one_that_reads_like_a_promise_still_gets_its_offer(
    one_lane_bot, slack, caplog
):
    bot = one_lane_bot
    caplog.set_level(logging.INFO, logger="handlers.listeners.event_lane")
    client = SlackEventsClient(bot.url, SIGNING_SECRET, team_id="T1", api=slack)
    agent = Person("UAGENT", client, slack, bot)
    case = agent.open_case("Acme: parcel lost")
    # The lane's one thread waits on Slack for the first reaction; the rest queue up behind it.
    slack.delay_answer("reactions.add", 2.0)
    client.thread_reply("First call", thread_ts=case.card_ts)
    slack.wait_for(lambda: slack.reactions or None, timeout=10, what="the first reaction")
    slack.clear_delays()
    for text in (
        "Called back",
        "Left a voicemail",
        "I'll call you back by 3pm",
        "Emailed the label",
        "Sent it",
    ):
        assert client.thread_reply(text, thread_ts=case.card_ts).status == 200
    bot.settle(timeout=30)
    assert len(contacts(bot)) == 6
    [offer] = offers(slack)
    assert "“Call you back”, 3pm" in offer.all_text()
    # The plain replies around it were still logged in batches.
    assert [int(n) for n in re.findall(r"event\.batched count=(\d+)", caplog.text)] == [2, 2]


def test_no_offer_on_a_closed_case(agent, slack, bot):
    case = agent.open_case("Acme: refund")
    agent.command(f"close {case.ref} refunded")
    agent.reply(case, "I'll call you back tomorrow")
    assert offers(slack) == []


# ---- what reads like a promise (handlers/parse_replies.py) ------------------------------------

OFFERED = [
    ("I promise to call tomorrow", "Call", "tomorrow"),
    ("I'll call you back by 3pm", "Call you back", "3pm"),
    ("will send the label by friday", "Send the label", "friday"),
    ("Thanks, will send it tomorrow at 10am.", "Send it", "tomorrow at 10am"),
    ("Spoke to her, I will email the receipt within 2 hours.", "Email the receipt", "in 2 hours"),
    ("we’ll refund the postage in 2 business days", "Refund the postage", "in 2 business days"),
    ("I promised to call her back today", "Call her back", "today eod"),
    ("ok I will send the invoice by end of day friday", "Send the invoice", "end of day friday"),
    ("I'll ship it on monday at noon", "Ship it", "monday at noon"),
]

NOT_OFFERED = [
    "Customer will call tomorrow",
    "Customer called and will send photos tomorrow",
    "The refund will arrive by friday",
    "they'll call back tomorrow",
    "I'll be out tomorrow",
    "I will not call before friday",
    "We will never refund tomorrow",
    "I'll try to call tomorrow",
    "Will you call tomorrow?",
    "I'll call back?",
    "I will check",
    "Thanks, will do",
    "Called yesterday at 3pm, no answer",
    "promise tomorrow 3pm: call back",
    "Promise: tomorrow call",
    "note: I will call tomorrow",
    "reschedule friday: I'll call friday",
    "cancel: I'll refund tomorrow instead",
    "Cancel: ",
    "",
]


@pytest.mark.parametrize("text, what, when", OFFERED)
def test_reads_like_a_promise(text, what, when):
    assert promise_offer(text) == PromiseOffer(what=what, when=when)
    # The time, as it fills the form, is one the form reads.
    now = datetime(2024, 11, 25, 9, 0, tzinfo=UTC)  # a Monday
    assert parse_when(when, "America/New_York", now) > now


@pytest.mark.parametrize("text", NOT_OFFERED)
def test_does_not_read_like_a_promise(text):
    assert promise_offer(text) is None


def test_a_long_reply_is_offered_with_what_cut_to_fit_a_button():
    offer = promise_offer("I'll " + "send the papers " * 60 + "tomorrow")
    assert offer is not None and offer.when == "tomorrow"
    assert len(offer.what) <= 500 and offer.what.endswith("…")
