"""What the escalation's messages say (issue 17): Acknowledge says the manager has seen it and
the owner still owns it; Take over says the case moved; an escalation DM whose promise was
settled afterwards is redrawn to say so, without its buttons, and its manager is told once."""

from __future__ import annotations

from handlers.ids import ActionId
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
