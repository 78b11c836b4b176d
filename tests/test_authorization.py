"""Who may change a case: its owner, anyone above the owner in the manager chain, and the
deployment's admins (ADMIN_USERS). Everyone else is refused, ephemerally, and nothing changes;
reading a case and logging a contact on it stay open to the whole team."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from storage.models import Case, CaseState, Contact, Promise, PromiseState
from tests.conftest import Person, RunningBot, link_manager

REFUSAL = "Only <@UAGENT> (the owner), a manager above them, or an admin can"


def promise_state(bot):
    with bot.db.transaction() as session:
        return [(p.state, p.kept_by) for p in session.execute(select(Promise)).scalars()]


def case_state(bot):
    with bot.db.transaction() as session:
        return session.execute(select(Case.state)).scalar_one()


@pytest.fixture
def director(person):
    return person("UDIR", "dana")


def test_a_manager_two_levels_up_may_keep_and_close(agent, manager, director, other, bot):
    agent.names_manager("UMGR")
    manager.names_manager("UDIR")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 2 hours: call back")

    refusal = other.command(f"done {case.ref}")
    assert refusal.ephemeral and f"{REFUSAL} mark a promise kept on {case.ref}" in refusal.text
    assert promise_state(bot) == [(PromiseState.OPEN, None)]

    assert "Kept" in director.command(f"done {case.ref}").text
    assert promise_state(bot) == [(PromiseState.KEPT, "UDIR")]
    director.command(f"close {case.ref} refund confirmed by the bank")
    assert case_state(bot) is CaseState.CLOSED


def test_the_chain_goes_up_not_down(agent, manager, bot):
    """The owner's manager may act on the owner's case; the owner may not act on the manager's."""
    agent.names_manager("UMGR")
    case = manager.open_case("Globex: wrong invoice")
    manager.command(f"promise {case.ref} in 2 hours: send the corrected invoice")
    refusal = agent.command(f"done {case.ref}")
    assert "Only <@UMGR> (the owner), a manager above them, or an admin can" in refusal.text
    assert promise_state(bot) == [(PromiseState.OPEN, None)]


def test_a_loop_in_the_manager_links_ends_the_chain(agent, manager, other, bot):
    agent.names_manager("UMGR")
    # A mistake from before loops were refused: each is the other's manager.
    link_manager(bot, "UMGR", "UAGENT")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 2 hours: call back")
    assert REFUSAL in other.command(f"done {case.ref}").text
    assert "Kept" in manager.command(f"done {case.ref}").text


@pytest.fixture
def admin_bot(bot_settings, clock):
    running = RunningBot(replace(bot_settings, admins=frozenset({"UOTHER"})), clock)
    yield running
    running.stop()


def test_an_admin_may_change_anyones_case(admin_bot, slack):
    from slack_standin import SlackEventsClient
    from tests.conftest import SIGNING_SECRET

    client = SlackEventsClient(admin_bot.url, SIGNING_SECRET, team_id="T1", api=slack)
    agent = Person("UAGENT", client, slack, admin_bot)
    admin = Person("UOTHER", client, slack, admin_bot)
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 2 hours: call back")
    assert "Kept" in admin.command(f"done {case.ref}").text
    assert promise_state(admin_bot) == [(PromiseState.KEPT, "UOTHER")]


def test_anyone_may_read_a_case_and_log_a_contact_on_it(agent, other, slack, bot):
    case = agent.open_case("Acme: refund")
    other.reply(case, "Customer called the front desk, I took the message")
    assert "front desk" in other.command(f"show {case.ref}").text
    with bot.db.transaction() as session:
        assert session.execute(select(Contact.author_id)).scalars().all() == ["UOTHER"]


# ---- ADMIN_USERS per workspace ---------------------------------------------------------------


@pytest.fixture
def two_workspace_bot(bot_settings, clock):
    """ADMIN_USERS=T1:UADA, UBOSS: Ada administers workspace T1 only; a bare id, as before
    workspaces could be named, is an admin in every workspace."""
    from bot.app.settings import Settings

    read = Settings.from_env({"ADMIN_USERS": "T1:UADA, UBOSS"})
    running = RunningBot(
        replace(bot_settings, admins=read.admins, workspace_admins=read.workspace_admins), clock
    )
    yield running
    running.stop()


def test_an_admin_named_for_one_workspace_is_an_admin_there_only(two_workspace_bot, slack):
    from slack_standin import SlackEventsClient
    from tests.conftest import SIGNING_SECRET

    def people(team_id):
        client = SlackEventsClient(two_workspace_bot.url, SIGNING_SECRET, team_id=team_id, api=slack)
        return (Person(user, client, slack, two_workspace_bot) for user in ("UAGENT", "UADA", "UBOSS"))

    agent_t1, ada_t1, _ = people("T1")
    agent_t2, ada_t2, boss_t2 = people("T2")
    here = agent_t1.open_case("Acme: refund")
    agent_t1.command(f"promise {here.ref} in 2 hours: call back")
    there = agent_t2.open_case("Globex: invoice")
    agent_t2.command(f"promise {there.ref} in 2 hours: send the credit note")

    refused = ada_t2.command(f"done {there.ref}")
    assert refused.ephemeral and f"{REFUSAL} mark a promise kept on {there.ref}" in refused.text
    assert sorted(promise_state(two_workspace_bot)) == [(PromiseState.OPEN, None)] * 2
    assert "Kept" in ada_t1.command(f"done {here.ref}").text
    assert "Kept" in boss_t2.command(f"done {there.ref}").text
    assert sorted(promise_state(two_workspace_bot)) == [
        (PromiseState.KEPT, "UADA"),
        (PromiseState.KEPT, "UBOSS"),
    ]
