"""The escalation chain (issue 4): the owner's manager, then theirs, then the channel; each level
once, frozen onto the promise when it is made; the escalation DM as a decision with buttons;
quiet hours on the recipient's own clock. Driven as Slack drives the bot (commands, signed
button clicks and modal submissions) with the test clock moved by hand."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot import workhours
from bot.new_times import Snooze
from handlers.ids import ActionId, BlockId, CallbackId
from handlers.views.snooze import LABELS
from storage.models import AuditEntry
from tests.conftest import Opened, make_settings

ESCALATION_BUTTONS = [
    ActionId.ESCALATION_ACKNOWLEDGE.value,
    ActionId.ESCALATION_TAKE_OVER.value,
    ActionId.ESCALATION_REASSIGN.value,
    ActionId.ESCALATION_EXTEND.value,
]


# -- helpers -------------------------------------------------------------------------------


def set_up_chain(agent, manager, person):
    """agent → UMGR → UBOSS, each set by the person themself."""
    boss = person("UBOSS", "bo", tz="Europe/Berlin")
    agent.names_manager("UMGR")
    manager.names_manager("UBOSS")
    return boss


def promise(agent, case, when="in 30 minutes", what="call back with the tracking number"):
    return agent.command(f"promise {case.ref} {when}: {what}")


def escalations(who):
    # "Help asked:" is an escalation the owner asked for before the due time.
    return [m for m in who.dms() if m.text.startswith(("Escalation:", "Help asked:"))]


def reminders(who):
    return [m for m in who.dms() if m.text.startswith("Reminder:")]


def thread(slack, case, words=""):
    return [m for m in slack.thread(case.channel, case.card_ts) if words in m.all_text()]


def channel_escalations(slack, case):
    return [m for m in thread(slack, case) if m.text.startswith("Escalation:")]


def buttons(message):
    return [
        element["action_id"]
        for block in message.blocks or []
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


def current(slack, message):
    """The message as Slack shows it now (after any chat.update)."""
    return slack.message(message.channel, message.ts)


def at(clock, bot, **delta):
    """Move time on and run the dispatcher (twice: a note in the case thread waits for the
    escalation it is about)."""
    clock.advance(**delta)
    bot.tick()
    bot.tick()


def escalation_counts(slack, case, *people):
    return [len(escalations(p)) for p in people] + [len(channel_escalations(slack, case))]


def audit(bot, action):
    with bot.services.db.transaction() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()
        return [(row.actor_id, row.case_id) for row in rows]


def owner_of(person, case):
    return person.command(f"show {case.ref}").text


# -- the chain, level by level ----------------------------------------------------------------


def test_chain_goes_up_one_level_each_repeat_and_each_level_once(agent, manager, person, slack, bot, clock):
    boss = set_up_chain(agent, manager, person)
    case = agent.open_case("Acme Corp: refund not received")
    confirmation = promise(agent, case).text
    assert "<@UMGR>" in confirmation
    assert "then <@UBOSS>" in confirmation and "then this channel" in confirmation
    assert (
        confirmation.index("<@UMGR>")
        < confirmation.index("then <@UBOSS>")
        < confirmation.index("then this channel")
    )

    at(clock, bot, minutes=29)
    assert escalation_counts(slack, case, manager, boss) == [0, 0, 0]
    at(clock, bot, minutes=1)  # due: level 1
    assert escalation_counts(slack, case, manager, boss) == [1, 0, 0]
    first = escalations(manager)[0]
    assert case.ref in first.all_text() and "call back with the tracking number" in first.all_text()
    assert buttons(first) == ESCALATION_BUTTONS
    assert len(thread(slack, case, "escalated to <@UMGR>")) == 1

    at(clock, bot, minutes=29)
    assert escalation_counts(slack, case, manager, boss) == [1, 0, 0]
    at(clock, bot, minutes=1)  # 30m unacknowledged: level 2
    assert escalation_counts(slack, case, manager, boss) == [1, 1, 0]
    assert "level 2" in escalations(boss)[0].all_text()
    assert buttons(escalations(boss)[0]) == ESCALATION_BUTTONS
    assert len(thread(slack, case, "escalated to <@UBOSS>")) == 1

    at(clock, bot, minutes=30)  # and the channel
    assert escalation_counts(slack, case, manager, boss) == [1, 1, 1]
    assert channel_escalations(slack, case)[0].reply_broadcast

    for _ in range(6):
        at(clock, bot, hours=1)
    assert escalation_counts(slack, case, manager, boss) == [1, 1, 1]
    assert len(thread(slack, case, "overdue; escalated to")) == 2  # one note per person level


# -- acknowledge -------------------------------------------------------------------------------


def test_acknowledge_stops_the_chain_and_tells_the_owner(agent, manager, person, slack, bot, clock):
    boss = set_up_chain(agent, manager, person)
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)
    dm = escalations(manager)[0]
    # A double click: Slack sends the same payload twice before the message is redrawn.
    payload = manager.client.block_action_payload(dm, ActionId.ESCALATION_ACKNOWLEDGE.value, user="UMGR")
    responses_before = len(slack.responses)
    assert manager.client.interactive(payload).status == 200
    bot.settle()

    told = [m for m in agent.dms() if "has seen your missed promise" in m.all_text()]
    assert len(told) == 1 and "<@UMGR>" in told[0].all_text() and case.ref in told[0].all_text()
    assert len(thread(slack, case, "<@UMGR> acknowledged")) == 1
    redrawn = current(slack, dm)
    assert buttons(redrawn) == [] and "Acknowledged by <@UMGR>" in redrawn.all_text()
    assert audit(bot, "escalation.acknowledged") == [("UMGR", case.case_id)]

    assert manager.client.interactive(payload).status == 200
    bot.settle()
    answers = slack.responses[responses_before:]
    assert len(answers) == 1 and answers[0].is_ephemeral and "already" in answers[0].all_text()
    # Told once, not twice.
    assert len([m for m in agent.dms() if "has seen your missed promise" in m.all_text()]) == 1
    assert len(thread(slack, case, "<@UMGR> acknowledged")) == 1
    assert audit(bot, "escalation.acknowledged") == [("UMGR", case.case_id)]

    for _ in range(4):
        at(clock, bot, minutes=30)
    assert escalation_counts(slack, case, manager, boss) == [1, 0, 0]


def test_owner_cannot_acknowledge_their_own_miss_in_the_channel(agent, slack, bot, clock):
    case = agent.open_case("Acme Corp: refund not received")  # no manager: the channel hears it
    promise(agent, case)
    at(clock, bot, minutes=30)
    [in_channel] = channel_escalations(slack, case)
    before = len(slack.responses)
    agent.click(in_channel, ActionId.ESCALATION_ACKNOWLEDGE.value)
    answers = slack.responses[before:]
    assert len(answers) == 1 and answers[0].is_ephemeral
    assert "can't acknowledge your own" in answers[0].all_text()
    assert buttons(current(slack, in_channel)) == ESCALATION_BUTTONS
    assert audit(bot, "escalation.acknowledged") == []


class TestEscalationChannel:
    """With ESCALATION_CHANNEL set, it is the last level instead of the case channel."""

    @pytest.fixture
    def bot_settings(self, slack, database_url):
        slack.set_channel("CESC", name="support-leads")
        return make_settings(slack, database_url, escalation_channel="CESC")

    def test_the_team_channel_hears_it_last(self, agent, manager, slack, bot, clock):
        agent.names_manager("UMGR")
        case = agent.open_case("Acme Corp: refund not received")
        assert "then <#CESC>" in promise(agent, case).text
        at(clock, bot, minutes=30)
        assert len(escalations(manager)) == 1
        at(clock, bot, minutes=29)
        assert slack.messages("CESC") == []
        at(clock, bot, minutes=1)  # 30m after level 1, unacknowledged
        [posted] = slack.messages("CESC")
        assert posted.text.startswith("Escalation:") and case.ref in posted.all_text()
        assert buttons(posted) == ESCALATION_BUTTONS
        assert channel_escalations(slack, case) == []
        assert len(thread(slack, case, "escalated to <#CESC>")) == 1
        at(clock, bot, hours=3)
        assert len(slack.messages("CESC")) == 1 and len(escalations(manager)) == 1


def test_a_kept_promise_goes_no_further(agent, manager, person, slack, bot, clock):
    boss = set_up_chain(agent, manager, person)
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)
    assert len(escalations(manager)) == 1
    at(clock, bot, minutes=1)
    assert "1m late" in agent.command(f"done {case.ref}").text
    for _ in range(4):
        at(clock, bot, minutes=30)
    assert escalation_counts(slack, case, manager, boss) == [1, 0, 0]


# -- the plan is frozen --------------------------------------------------------------------------


def test_a_new_manager_does_not_change_promises_already_made(agent, manager, other, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    agent.names_manager("UOTHER")
    at(clock, bot, minutes=30)
    assert escalation_counts(slack, case, manager, other) == [1, 0, 0]
    # A promise made now uses the new chain.
    promise(agent, case, when="in 1 hour", what="send the invoice")
    at(clock, bot, hours=1)
    assert len(escalations(manager)) == 1
    assert [("send the invoice" in m.all_text()) for m in escalations(other)] == [True]


def test_reassign_moves_the_plan_to_the_new_owners_chain(agent, manager, other, person, slack, bot, clock):
    agent.names_manager("UMGR")
    sam = person("USAM", "sam", tz="Europe/London")
    sam.names_manager("UOTHER")
    case = agent.open_case("Acme Corp: refund not received")
    assert "<@UMGR>" in promise(agent, case).text
    agent.command(f"reassign {case.ref} <@USAM|sam>")
    at(clock, bot, minutes=30)
    assert escalation_counts(slack, case, manager, other) == [0, 1, 0]
    assert "<@USAM> promised" in escalations(other)[0].all_text()
    assert len(thread(slack, case, "escalated to <@UOTHER>")) == 1


def test_the_frozen_manager_may_still_take_over(agent, manager, other, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    agent.names_manager("UOTHER")
    at(clock, bot, minutes=30)
    before = len(slack.responses)
    manager.click(escalations(manager)[0], ActionId.ESCALATION_TAKE_OVER.value)
    assert "Owner <@UMGR>" in owner_of(manager, case), [r.all_text() for r in slack.responses[before:]]


# -- the escalation DM is a decision ---------------------------------------------------------------


def test_escalation_dm_has_what_the_manager_needs_to_decide(agent, manager, slack, bot, clock):
    slack.set_user(
        "UAGENT", name="alex", tz="America/New_York", status_text="At the dentist", status_emoji=":tooth:"
    )
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    agent.reply(case, "Called the customer: the courier lost the parcel")
    at(clock, bot, minutes=15)  # 14:15: the reminder
    [reminder] = reminders(agent)
    agent.click(reminder, ActionId.REMINDER_RESCHEDULE.value)
    reply = agent.submit(
        agent.modal(CallbackId.RESCHEDULE.value),
        {
            BlockId.WHEN_TEXT.value: "in 1 hour",
            BlockId.NOTE.value: "Told them tomorrow's courier brings it",
            BlockId.TOLD.value: ["told"],
        },
    )
    assert reply.json is None or "errors" not in reply.json, reply.body
    at(clock, bot, hours=1)  # 15:15, the new due time
    [dm] = escalations(manager)
    text = dm.all_text()
    assert "Acme Corp" in text and "refund not received" in text
    assert "Called the customer: the courier lost the parcel" in text and "by <@UAGENT>" in text
    old_due = int(datetime(2026, 11, 23, 14, 30, tzinfo=UTC).timestamp())
    assert "history" in text and f"was due <!date^{old_due}^" in text
    assert "Told them tomorrow's courier brings it" in text and "customer told" in text
    assert "10:15 (America/New_York)" in text  # the owner's local time at 15:15 UTC
    assert "status: :tooth: At the dentist" in text


# -- the other decisions -----------------------------------------------------------------------------


def test_take_over_makes_the_case_the_managers(agent, manager, person, slack, bot, clock):
    boss = set_up_chain(agent, manager, person)
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)
    dm = escalations(manager)[0]
    manager.click(dm, ActionId.ESCALATION_TAKE_OVER.value)
    assert "Owner <@UMGR>" in owner_of(manager, case)
    # The owner hears it is not theirs any more, not that they still own it.
    assert any("<@UMGR> took CASE-1 over from you" in m.all_text() for m in agent.dms())
    assert not any("still own" in m.all_text() for m in agent.dms())
    assert len(thread(slack, case, "took CASE-1 over")) == 1
    assert buttons(current(slack, dm)) == [] and "Taken over by <@UMGR>" in current(slack, dm).all_text()
    for _ in range(4):
        at(clock, bot, minutes=30)
    assert escalation_counts(slack, case, manager, boss) == [1, 0, 0]


def test_reassign_from_the_escalation_hands_it_to_someone(agent, manager, person, slack, bot, clock):
    boss = set_up_chain(agent, manager, person)
    sam = person("USAM", "sam", tz="Europe/London")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)
    dm = escalations(manager)[0]
    manager.click(dm, ActionId.ESCALATION_REASSIGN.value)
    reply = manager.submit(manager.modal(CallbackId.REASSIGN.value), {BlockId.NEW_OWNER.value: "USAM"})
    assert reply.json is None or "errors" not in reply.json, reply.body
    assert "Owner <@USAM>" in owner_of(manager, case)
    assert any(case.ref in m.all_text() and "yours now" in m.all_text() for m in sam.dms())
    assert "Reassigned by <@UMGR> to <@USAM>" in current(slack, dm).all_text()
    for _ in range(4):
        at(clock, bot, minutes=30)
    assert escalation_counts(slack, case, manager, boss) == [1, 0, 0]


def test_extend_needs_a_reason_and_gives_the_promise_a_new_time(agent, manager, person, slack, bot, clock):
    boss = set_up_chain(agent, manager, person)
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)  # 14:30, level 1
    dm = escalations(manager)[0]
    manager.click(dm, ActionId.ESCALATION_EXTEND.value)
    modal = manager.modal(CallbackId.EXTEND.value)
    refused = manager.submit(modal, {BlockId.WHEN_TEXT.value: "in 2 hours"}, check_inputs=False)
    assert refused.json["response_action"] == "errors" and BlockId.NOTE.value in refused.json["errors"]
    reply = manager.submit(
        manager.modal(CallbackId.EXTEND.value),
        {BlockId.WHEN_TEXT.value: "in 2 hours", BlockId.NOTE.value: "The warehouse ships at 16:00"},
    )
    assert reply.json is None or "errors" not in reply.json, reply.body
    new_due = int(datetime(2026, 11, 23, 16, 30, tzinfo=UTC).timestamp())
    told = [m for m in agent.dms() if "gave “call back" in m.all_text()]
    assert len(told) == 1 and "The warehouse ships at 16:00" in told[0].all_text()
    assert f"<!date^{new_due}^" in told[0].all_text()
    assert len(thread(slack, case, "Reason: The warehouse ships at 16:00")) == 1
    assert buttons(current(slack, dm)) == [] and "Extended by <@UMGR>" in current(slack, dm).all_text()
    shown = owner_of(agent, case)
    assert "given a new time by <@UMGR>" in shown and f"due <!date^{new_due}^" in shown

    at(clock, bot, minutes=30)  # 15:00: the old plan's level 2 time
    assert escalation_counts(slack, case, manager, boss) == [1, 0, 0]
    at(clock, bot, minutes=89)
    assert escalation_counts(slack, case, manager, boss) == [1, 0, 0]
    at(clock, bot, minutes=1)  # 16:30: the new time is missed
    assert escalation_counts(slack, case, manager, boss) == [2, 0, 0]
    at(clock, bot, minutes=20)
    assert escalation_counts(slack, case, manager, boss) == [2, 0, 0]


# -- reminder buttons ----------------------------------------------------------------------------------


def test_snooze_reminds_again_and_leaves_the_escalation_alone(agent, manager, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case, when="in 1 hour")  # due 15:00, reminder 14:45
    at(clock, bot, minutes=45)
    [reminder] = reminders(agent)
    at(clock, bot, minutes=5)  # 14:50
    # 15 minutes would land after the due time: offered is the last call, 5 minutes before it.
    agent.click(reminder, ActionId.REMINDER_SNOOZE.value, option=LABELS[Snooze.LAST_CALL])
    assert "remind you again at <!date^" in current(slack, reminder).all_text()
    at(clock, bot, minutes=4)
    assert len(reminders(agent)) == 1
    at(clock, bot, minutes=1)  # 14:55: snoozed to 5 minutes before it's due
    assert len(reminders(agent)) == 2 and len(escalations(manager)) == 0
    at(clock, bot, minutes=5)  # 15:00: due, escalated as planned
    assert len(reminders(agent)) == 2 and len(escalations(manager)) == 1
    at(clock, bot, hours=1)
    assert len(reminders(agent)) == 2 and len(escalations(manager)) == 1


def test_escalate_now_tells_the_manager_at_once_and_only_once(agent, manager, person, slack, bot, clock):
    boss = set_up_chain(agent, manager, person)
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case, when="in 1 hour")  # due 15:00
    at(clock, bot, minutes=45)
    before = len(slack.responses)
    agent.click(reminders(agent)[0], ActionId.REMINDER_ESCALATE.value)
    assert escalation_counts(slack, case, manager, boss) == [1, 0, 0]  # no tick needed
    assert any("escalated to <@UMGR> now" in r.all_text() for r in slack.responses[before:])
    at(clock, bot, minutes=15)  # 15:00: the original level 1 time
    assert escalation_counts(slack, case, manager, boss) == [1, 0, 0]
    at(clock, bot, minutes=29)
    assert escalation_counts(slack, case, manager, boss) == [1, 0, 0]
    at(clock, bot, minutes=1)  # 15:30: level 2 as planned, 45m after level 1
    assert escalation_counts(slack, case, manager, boss) == [1, 1, 0]


def test_escalate_now_does_not_call_the_promise_missed(agent, manager, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case, when="in 1 hour")
    at(clock, bot, minutes=45)
    agent.click(reminders(agent)[0], ActionId.REMINDER_ESCALATE.value)
    text = escalations(manager)[0].all_text()
    assert "missed" not in text and "late" not in text, text


# -- quiet hours ----------------------------------------------------------------------------------------


class TestQuietHours:
    """WORKING_HOURS mon-fri 09:00-17:00, read on each recipient's own clock."""

    @pytest.fixture
    def bot_settings(self, slack, database_url):
        return make_settings(slack, database_url, working_hours=workhours.parse("mon-fri 09:00-17:00"))

    def test_escalation_waits_for_the_managers_morning(self, agent, manager, person, slack, bot, clock):
        boss = set_up_chain(agent, manager, person)
        case = agent.open_case("Acme Corp: refund not received")
        promise(agent, case, when="in 2 hours 30 minutes")  # 16:30 UTC = 17:30 in Berlin
        at(clock, bot, hours=2, minutes=15)
        assert len(reminders(agent)) == 1  # 11:15 in New York: never held back anyway
        at(clock, bot, minutes=15)
        assert escalation_counts(slack, case, manager, boss) == [0, 0, 0]
        assert thread(slack, case, "overdue") == []
        clock.set(datetime(2026, 11, 24, 7, 59, tzinfo=UTC))
        at(clock, bot)
        assert escalation_counts(slack, case, manager, boss) == [0, 0, 0]
        assert thread(slack, case, "overdue") == []
        at(clock, bot, minutes=1)  # Tuesday 09:00 in Berlin
        assert escalation_counts(slack, case, manager, boss) == [1, 0, 0]
        assert len(thread(slack, case, "escalated to <@UMGR>")) == 1
        at(clock, bot, minutes=30)  # level 2 gets its 30 minutes after level 1 went out
        assert escalation_counts(slack, case, manager, boss) == [1, 1, 0]
        for _ in range(4):
            at(clock, bot, hours=1)
        assert escalation_counts(slack, case, manager, boss) == [1, 1, 1]

    def test_an_urgent_case_escalates_at_once(self, agent, manager, slack, bot, clock):
        agent.names_manager("UMGR")
        agent.command("open")
        reply = agent.submit(
            agent.modal(CallbackId.OPEN_CASE.value),
            {
                BlockId.CUSTOMER.value: "Acme Corp",
                BlockId.SUMMARY.value: "Checkout is down",
                BlockId.PRIORITY.value: "urgent",
            },
        )
        assert reply.json is None or "errors" not in reply.json, reply.body
        [card] = [m for m in slack.messages("C1") if m.thread_ts is None and "CASE-" in m.all_text()]
        case = Opened(ref="CASE-1", case_id=1, channel="C1", card_ts=card.ts)
        promise(agent, case, when="in 2 hours 30 minutes")
        at(clock, bot, hours=2, minutes=30)  # 17:30 in Berlin
        assert escalation_counts(slack, case, manager) == [1, 0]
        assert len(thread(slack, case, "escalated to <@UMGR>")) == 1

    def test_a_friday_evening_miss_waits_for_monday(self, agent, manager, slack, bot, clock):
        agent.names_manager("UMGR")
        case = agent.open_case("Acme Corp: refund not received")
        clock.set(datetime(2026, 11, 27, 22, 0, tzinfo=UTC))  # Friday, 17:00 in New York
        promise(agent, case, when="in 1 hour")  # due 18:00 in New York, midnight in Berlin
        at(clock, bot, minutes=45)
        assert len(reminders(agent)) == 1  # outside the owner's hours too: reminders never wait
        at(clock, bot, minutes=15)
        for day in (28, 29):
            clock.set(datetime(2026, 11, day, 12, 0, tzinfo=UTC))
            at(clock, bot)
        clock.set(datetime(2026, 11, 30, 7, 59, tzinfo=UTC))
        at(clock, bot)
        assert escalation_counts(slack, case, manager) == [0, 0]
        at(clock, bot, minutes=1)  # Monday 09:00 in Berlin
        assert escalation_counts(slack, case, manager) == [1, 0]

    def test_a_manager_sets_their_own_hours(self, agent, manager, slack, bot, clock):
        agent.names_manager("UMGR")
        answer = manager.command("hours sun-thu 08:00-16:00")
        assert answer.ephemeral and "08:00-16:00" in answer.text and "sun" in answer.text
        case = agent.open_case("Acme Corp: refund not received")
        promise(agent, case, when="in 2 hours 30 minutes")  # Monday 17:30 in Berlin
        at(clock, bot, hours=2, minutes=30)
        assert escalation_counts(slack, case, manager) == [0, 0]
        clock.set(datetime(2026, 11, 24, 6, 59, tzinfo=UTC))
        at(clock, bot)
        assert escalation_counts(slack, case, manager) == [0, 0]
        at(clock, bot, minutes=1)  # Tuesday 08:00 in Berlin: their own start, not the team's 09:00
        assert escalation_counts(slack, case, manager) == [1, 0]

    def test_nonsense_hours_are_refused_clearly(self, manager):
        answer = manager.command("hours whenever I feel like it")
        assert answer.ephemeral
        assert "not working hours" in answer.text and "mon-fri 09:00-17:00" in answer.text
        assert "sun-thu" not in manager.command("hours").text
