"""What the escalation's messages say (issue 17): Acknowledge says the manager has seen it and
the owner still owns it; Take over says the case moved; an escalation DM whose promise was
settled afterwards is redrawn to say so, without its buttons, and its manager is told once."""

from __future__ import annotations

from sqlalchemy import select

from handlers.ids import ActionId, BlockId, CallbackId
from storage.models import Promise
from tests.test_escalation_chain import (
    at,
    buttons,
    current,
    escalations,
    owner_of,
    promise,
    set_up_chain,
    thread,
)


def texts(who) -> list[str]:
    return [m.all_text() for m in who.dms()]


# -- acknowledge and take over say different things --------------------------------------------


def test_acknowledge_says_the_manager_has_seen_it_and_the_owner_still_owns_it(
    agent, manager, slack, bot, clock
):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)
    dm = escalations(manager)[0]
    manager.click(dm, ActionId.ESCALATION_ACKNOWLEDGE.value)

    told = [t for t in texts(agent) if "has seen your missed promise" in t]
    assert len(told) == 1 and "<@UMGR>" in told[0] and "you still own it" in told[0]
    assert not any("taking it from here" in t for t in texts(agent))
    [note] = thread(slack, case, "<@UMGR> acknowledged")
    assert "<@UAGENT> still owns it" in note.all_text()
    redrawn = current(slack, dm).all_text()
    assert "Acknowledged by <@UMGR>" in redrawn and "<@UAGENT> still owns it" in redrawn
    # And it is so: the case is still Alex's.
    assert "Owner <@UAGENT>" in owner_of(agent, case)


def test_the_escalation_dm_tells_acknowledge_and_take_over_apart(agent, manager, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)
    hint = escalations(manager)[0].all_text()
    assert "Acknowledge: you've seen it" in hint and "<@UAGENT> still owns it" in hint
    assert "Take over: the case and its promises become yours" in hint


def test_take_over_says_the_case_moved_and_never_that_the_owner_still_owns_it(
    agent, manager, slack, bot, clock
):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)
    dm = escalations(manager)[0]
    manager.click(dm, ActionId.ESCALATION_TAKE_OVER.value)

    assert "Owner <@UMGR>" in owner_of(manager, case)
    told = [t for t in texts(agent) if "took CASE-1 over from you" in t]
    assert len(told) == 1 and "<@UMGR>'s now" in told[0]
    assert not any("still own" in t or "has seen" in t for t in texts(agent))
    assert len(thread(slack, case, "<@UMGR> took CASE-1 over from <@UAGENT>")) == 1
    assert thread(slack, case, "still owns") == []
    redrawn = current(slack, dm)
    assert buttons(redrawn) == [] and "Taken over by <@UMGR>" in redrawn.all_text()
    assert "CASE-1 is theirs now" in redrawn.all_text()


def test_reassign_from_the_escalation_tells_the_owner_it_is_not_theirs(
    agent, manager, person, slack, bot, clock
):
    set_up_chain(agent, manager, person)
    person("USAM", "sam")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)
    manager.command(f"reassign {case.ref} <@USAM|sam>")
    told = [t for t in texts(agent) if "handed CASE-1 from you to <@USAM>" in t]
    assert len(told) == 1 and "it is <@USAM>'s now" in told[0]


# -- an escalation whose promise ended afterwards -----------------------------------------------


def told_settled(who) -> list[str]:
    return [t for t in texts(who) if "escalated to you:" in t]


def card_of(slack, case):
    return slack.message(case.channel, case.card_ts)


def test_a_promise_kept_after_its_escalations_redraws_them_and_tells_each_manager_once(
    agent, manager, person, slack, bot, clock
):
    boss = set_up_chain(agent, manager, person)
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)  # level 1: Maria
    at(clock, bot, minutes=30)  # level 2: Bo
    sent = [escalations(manager)[0], escalations(boss)[0]]
    agent.command(f"done {case.ref}")
    at(clock, bot, minutes=1)

    for dm in sent:
        redrawn = current(slack, dm)
        assert buttons(redrawn) == []
        assert "Kept by <@UAGENT> at <!date^" in redrawn.all_text()
    for who in (manager, boss):
        [told] = told_settled(who)
        assert "Kept by <@UAGENT>" in told and case.ref in told
    # Once: later passes neither tell again nor draw the line twice.
    at(clock, bot, minutes=30)
    assert [len(told_settled(who)) for who in (manager, boss)] == [1, 1]
    assert current(slack, sent[0]).all_text().count("Kept by") == 1
    assert told_settled(agent) == []


def test_an_acknowledged_escalation_kept_later_says_both(agent, manager, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)
    dm = escalations(manager)[0]
    manager.click(dm, ActionId.ESCALATION_ACKNOWLEDGE.value)
    agent.command(f"done {case.ref}")
    at(clock, bot, minutes=1)
    text = current(slack, dm).all_text()
    assert "Acknowledged by <@UMGR>" in text and "Kept by <@UAGENT>" in text
    assert len(told_settled(manager)) == 1


def test_whoever_ended_it_is_not_told_what_they_did(agent, manager, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)
    dm = escalations(manager)[0]
    manager.click(dm, ActionId.ESCALATION_TAKE_OVER.value)
    manager.command(f"done {case.ref}")
    at(clock, bot, minutes=1)
    assert "Kept by <@UMGR>" in current(slack, dm).all_text()
    assert told_settled(manager) == []


def test_a_cancelled_promise_redraws_its_escalation(agent, manager, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)
    dm = escalations(manager)[0]
    asked = agent.command(f"cancel {case.ref} the customer got a refund from the shop instead")
    agent.click(asked.responses[-1], ActionId.CANCEL_TOLD.value)
    at(clock, bot, minutes=1)
    redrawn = current(slack, dm)
    assert buttons(redrawn) == [] and "Cancelled by <@UAGENT>" in redrawn.all_text()
    [told] = told_settled(manager)
    assert "Cancelled by <@UAGENT>" in told


def test_a_promise_rescheduled_by_the_owner_redraws_the_escalation_with_the_new_time(
    agent, manager, slack, bot, clock
):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)
    dm = escalations(manager)[0]
    reminder = [m for m in agent.dms() if m.text.startswith("Reminder:")][0]
    agent.click(reminder, ActionId.REMINDER_RESCHEDULE.value)
    agent.submit(
        agent.modal(CallbackId.RESCHEDULE.value),
        {
            BlockId.WHEN_TEXT.value: "in 3 hours",
            BlockId.NOTE.value: "Bank needs a day",
            BlockId.TOLD.value: ["told"],
        },
    )
    at(clock, bot, minutes=1)
    text = current(slack, dm).all_text()
    assert "Rescheduled by <@UAGENT>" in text and "now due <!date^" in text
    assert len(told_settled(manager)) == 1


def test_closing_the_case_redraws_the_escalation(agent, manager, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)
    dm = escalations(manager)[0]
    agent.click(card_of(slack, case), ActionId.CARD_CLOSE.value)
    with bot.db.transaction() as session:
        promise_id = session.execute(select(Promise.id)).scalar_one()
    agent.submit(
        agent.modal(CallbackId.CLOSE_CASE.value),
        {
            BlockId.RESOLUTION.value: "sorted",
            BlockId.RECURRENCE.value: "single",
            f"fate.{promise_id}": "kept",
        },
    )
    at(clock, bot, minutes=1)
    text = current(slack, dm).all_text()
    assert buttons(current(slack, dm)) == []
    assert "Kept by <@UAGENT>" in text and "CASE-1 closed by <@UAGENT>" in text
    assert len(told_settled(manager)) == 1
