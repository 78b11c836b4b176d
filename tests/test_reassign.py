"""`/case reassign CASE-7 @sam`: the case and its open promises change hands. The new owner is
told, the thread hears it, reminders go to the new owner and escalations to the new owner's
manager at the times already planned. Only the owner, the managers above, or an admin may."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Case, Notification, Promise


@pytest.fixture
def sam(person):
    return person("USAM", "sam")


@pytest.fixture
def dana(person):
    return person("UDANA", "dana")


def owners(bot):
    with bot.db.transaction() as session:
        case = session.execute(select(Case)).scalar_one()
        return case.owner_id, [
            (p.owner_id, p.escalate_to) for p in session.execute(select(Promise)).scalars()
        ]


def test_reassigned_promises_remind_the_new_owner_and_escalate_to_their_manager(
    agent, manager, sam, dana, slack, bot, clock
):
    agent.names_manager("UMGR")
    sam.names_manager("UDANA")
    case = agent.open_case("Acme Corp: refund not received")
    agent.command(f"promise {case.ref} in 1 hour: call back with the tracking number")

    result = agent.command(f"reassign {case.ref} <@USAM|sam>")
    assert result.ephemeral and f"{case.ref} is now <@USAM>'s (was <@UAGENT>'s)" in result.text
    assert owners(bot) == ("USAM", [("USAM", "UDANA")])
    told = sam.dms()
    assert len(told) == 1 and f"{case.ref}" in told[0].all_text() and "yours now" in told[0].all_text()
    note = [m for m in slack.thread("C1", case.card_ts) if "handed" in m.all_text()]
    assert len(note) == 1 and "<@USAM>" in note[0].all_text()

    clock.advance(minutes=46)
    bot.tick()
    assert agent.dms() == [] and len(sam.dms()) == 2 and "Reminder" in sam.dms()[1].all_text()
    clock.advance(minutes=15)
    bot.tick()
    assert manager.dms() == [], "the old owner's manager still got the escalation"
    escalation = dana.dms()
    assert len(escalation) == 1 and "<@USAM>" in escalation[0].all_text()


def test_a_new_owner_without_a_manager_gets_the_channel_escalation_and_is_asked_to_set_one(
    agent, manager, sam, slack, bot, clock
):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 30 minutes: call back")
    agent.command(f"reassign {case.ref} <@USAM|sam>")
    clock.advance(minutes=31)
    bot.tick()
    bot.tick()
    assert manager.dms() == []
    in_thread = [m.all_text() for m in slack.thread("C1", case.card_ts)]
    assert any("missed a promise" in text for text in in_thread)
    assert any("no manager set" in m.all_text() for m in sam.dms())
    with bot.db.transaction() as session:
        level_one = [
            (n.kind.value, n.state.value)
            for n in session.execute(select(Notification)).scalars()
            if n.level == 1
        ]
    # The manager's note was called off, the owner's request planned; nothing owed twice.
    assert sorted(level_one) == [
        ("escalation", "sent"),
        ("escalation_note", "cancelled"),
        ("manager_missing", "sent"),
    ]


def test_the_owners_manager_may_take_a_case_over(agent, manager, sam, bot):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme: refund")
    assert "is now <@UMGR>'s" in manager.command(f"reassign {case.ref} <@UMGR|maria>").text
    assert owners(bot)[0] == "UMGR"


def test_someone_else_cannot_reassign_and_nothing_changes(agent, other, sam, slack, bot):
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 1 hour: call back")
    result = other.command(f"reassign {case.ref} <@UOTHER|olga>")
    assert result.ephemeral
    assert (
        f"Only <@UAGENT> (the owner), a manager above them, or an admin can reassign {case.ref}"
        in result.text
    )
    assert owners(bot) == ("UAGENT", [("UAGENT", None)])
    assert sam.dms() == [] and other.dms() == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("reassign CASE-1", "Mention one person: `/case reassign CASE-7 @sam`"),
        ("reassign CASE-1 sam", "Mention one person"),
        ("reassign CASE-1 <@USAM|sam> <@UMGR|maria>", "Mention one person"),
        ("reassign CASE-1 <@UAGENT|alex>", "CASE-1 is <@UAGENT>'s already."),
        ("reassign CASE-9 <@USAM|sam>", "There is no CASE-9"),
    ],
)
def test_bad_reassign_requests_are_explained_and_change_nothing(agent, sam, bot, text, says):
    agent.open_case("Acme: refund")
    result = agent.command(text)
    assert result.ephemeral and says in result.text, result.text
    assert owners(bot) == ("UAGENT", [])
    with bot.db.transaction() as session:
        pending = [n.kind.value for n in session.execute(select(Notification)).scalars()]
    assert "handover" not in pending  # nothing owed to anyone new
