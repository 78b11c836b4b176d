"""A case opened in a private channel is read only by that channel's members, the owner's manager
chain and admins: `/case show`, `/case find`, the contact pages, the customer's earlier cases on
a card, recurring-problem posts and escalations to a channel. Everyone else learns that it exists
and is private, nothing more. Who is in the channel is Slack's to say (conversations.members,
kept a while, updated by member_joined_channel / member_left_channel); whether it is private,
too (the command's channel_name, conversations.info, a thread reply's channel_type, the
channel's conversion to private). Through signed commands, clicks and events to the running bot
and the Slack stand-in."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from handlers.ids import ActionId, BlockId, CallbackId
from storage.models import Case, CaseState, Promise, PromiseState
from tests.conftest import Person, RunningBot

SECRET = "GPRIV"  # a private channel (its id could as well start with C: Slack's do since 2021)
PUBLIC = "C1"
NOT_IN = "is in a private channel you're not in"


@pytest.fixture
def insider(person):
    return person("UIN", "ines")


@pytest.fixture
def private_channel(slack):
    slack.set_channel(SECRET, name="vip-escalations", private=True, members=["UAGENT", "UIN"])
    return SECRET


def private_of(bot) -> dict[str, bool]:
    with bot.db.transaction() as session:
        return {c.ref: c.private for c in session.execute(select(Case).order_by(Case.id)).scalars()}


def test_show_is_for_members_the_owners_managers_and_admins(
    agent, manager, insider, other, private_channel, slack, bot
):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Royal: refund for the CEO", channel=SECRET)
    assert private_of(bot) == {case.ref: True}

    refused = other.command(f"show {case.ref}")
    assert refused.ephemeral and f"{case.ref} {NOT_IN}" in refused.text
    for secret in ("Acme", "CEO", "UAGENT", "vip"):
        assert secret not in refused.text
    assert "refund for the CEO" in insider.command(f"show {case.ref}").text, "a member of the channel"
    assert "refund for the CEO" in manager.command(f"show {case.ref}").text, "the owner's manager"
    assert "refund for the CEO" in agent.command(f"show {case.ref}").text, "the owner"
    # Someone who may not read it may not learn its owner by trying to change it either.
    refused = other.command(f"close {case.ref} done")
    assert "Only " + case.ref + "'s owner, a manager above them, or an admin can close it." in refused.text
    assert "UAGENT" not in refused.text
    other.command(f"tz {case.ref}")
    assert NOT_IN in slack.responses[-1].all_text()


def test_an_admin_reads_every_private_case(private_channel, slack, bot_settings, clock):
    from slack_standin import SlackEventsClient
    from tests.conftest import SIGNING_SECRET

    admin_bot = RunningBot(replace(bot_settings, admins=frozenset({"UOTHER"})), clock)
    try:
        client = SlackEventsClient(admin_bot.url, SIGNING_SECRET, team_id="T1", api=slack)
        case = Person("UAGENT", client, slack, admin_bot).open_case("Acme: secret", channel=SECRET)
        assert "secret" in Person("UOTHER", client, slack, admin_bot).command(f"show {case.ref}").text
    finally:
        admin_bot.stop()


def test_find_lists_only_what_the_reader_may_read_and_counts_only_that(
    agent, insider, other, private_channel, bot
):
    agent.open_case("Acme Corp: parcel lost", channel=PUBLIC)
    hidden = agent.open_case("Acme Corp: legal threat", channel=SECRET)
    outside = other.command("find acme")
    assert "1 case found" in outside.text and hidden.ref not in outside.text and "legal" not in outside.text
    inside = insider.command("find acme")
    assert "2 cases found" in inside.text and hidden.ref in inside.text
    assert "Nothing found" in other.command("find legal").text


def test_leaving_the_channel_ends_reading_at_once_even_on_a_page_already_shown(
    agent, insider, private_channel, signer, slack, bot
):
    case = agent.open_case("Acme: refund", channel=SECRET)
    for number in range(1, 20):
        agent.reply(case, f"contact number {number:02d}")
    page = insider.command(f"show {case.ref}").responses[-1]
    assert "contact number 19" in page.all_text()

    slack.set_members(SECRET, ["UAGENT"])
    assert signer.member_left(SECRET, "UIN").status == 200
    bot.settle()
    insider.click(page, ActionId.CONTACTS_OLDER.value)
    shown = "\n".join(e.all_text() for e in slack.ephemerals) + slack.responses[-1].all_text()
    assert NOT_IN in shown and "contact number 01" not in shown
    assert NOT_IN in insider.command(f"show {case.ref}").text

    slack.set_members(SECRET, ["UAGENT", "UIN"])
    signer.member_joined(SECRET, "UIN")
    bot.settle()
    assert "contact number 19" in insider.command(f"show {case.ref}").text


def test_who_is_in_the_channel_is_asked_of_slack_once_in_a_while(
    agent, insider, private_channel, slack, bot, clock
):
    case = agent.open_case("Acme: refund", channel=SECRET)
    for _ in range(3):
        insider.command(f"show {case.ref}")
    assert len(slack.calls("conversations.members")) == 1
    clock.advance(minutes=11)
    insider.command(f"show {case.ref}")
    assert len(slack.calls("conversations.members")) == 2


def test_when_slack_cant_say_who_is_in_the_channel_only_the_chain_reads(
    agent, manager, insider, private_channel, slack, bot
):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme: refund", channel=SECRET)
    slack.fail("conversations.members", status=200, error="missing_scope")
    refused = insider.command(f"show {case.ref}")
    assert "Slack didn't tell me who is in it just now" in refused.text and "refund" not in refused.text
    assert "refund" in manager.command(f"show {case.ref}").text


def test_a_private_channel_is_known_from_the_command_the_form_slack_and_the_channels_own_events(
    agent, insider, private_channel, signer, slack, bot
):
    from_command = agent.open_case("Acme: one", channel=SECRET)
    agent.command("open", channel=SECRET)
    agent.submit(
        agent.modal(CallbackId.OPEN_CASE.value),
        {BlockId.CUSTOMER.value: "Acme", BlockId.SUMMARY.value: "two"},
    )
    # A command whose channel_name names the channel: Slack is asked (conversations.info).
    slack.set_channel("CNEWPRIV", private=True, members=["UAGENT"])
    form = signer.command_form("open Acme: three", user="UAGENT", channel="CNEWPRIV")
    signer._send_command({**form, "channel_name": "new-private"})
    bot.settle()
    # A public channel made private later: its conversion message, or any reply's channel_type.
    converted = agent.open_case("Acme: four", channel="CLATER")
    replied = agent.open_case("Acme: five", channel="CQUIET")
    public = agent.open_case("Acme: six", channel=PUBLIC)
    slack.make_private("CLATER")
    signer.channel_made_private("CLATER")
    slack.make_private("CQUIET")
    agent.reply(replied, "still waiting")
    bot.settle()
    assert private_of(bot) == {
        from_command.ref: True,
        "CASE-2": True,
        "CASE-3": True,
        converted.ref: True,
        replied.ref: True,
        public.ref: False,
    }
    asked = sorted(c.params["channel"] for c in slack.calls("conversations.info"))
    assert asked == ["C1", "CLATER", "CNEWPRIV", "CQUIET"], "asked only when the command didn't say"


def test_a_card_in_a_public_channel_never_lists_a_private_channels_earlier_case(
    agent, insider, other, private_channel, slack, bot
):
    secret = agent.open_case("Acme Corp: legal threat", channel=SECRET)
    card = slack.message(PUBLIC, agent.open_case("Acme Corp: parcel late", channel=PUBLIC).card_ts)
    assert secret.ref not in card.all_text() and "legal" not in card.all_text()
    latest = agent.open_case("Acme Corp: parcel late again", channel=PUBLIC)
    assert "legal threat" in insider.command(f"show {latest.ref}").text, "a member sees it in the history"
    assert secret.ref not in other.command(f"show {latest.ref}").text


def close_recurring(person, slack, case, category="Late delivery"):
    person.click(slack.message(case.channel, case.card_ts), ActionId.CARD_CLOSE.value)
    person.submit(
        person.modal(CallbackId.CLOSE_CASE.value),
        {
            BlockId.RESOLUTION.value: "Re-sent the parcel",
            BlockId.RECURRENCE.value: "recurring",
            BlockId.CATEGORY.value: category,
        },
    )


def test_a_recurring_problem_post_names_but_never_describes_a_case_its_reader_may_not_read(
    agent, manager, insider, person, private_channel, slack, bot
):
    sam, boss = person("USAM", "sam"), person("UBOSS", "bo")
    agent.names_manager("UMGR")
    sam.names_manager("UBOSS")
    mine = agent.open_case("Acme: parcel late", channel=PUBLIC)
    secret = insider.open_case("Hush Ltd: parcel late", channel=SECRET)
    insider.names_manager("UBOSS")
    theirs = sam.open_case("Globex: parcel late", channel=PUBLIC)
    for owner, case in ((agent, mine), (insider, secret), (sam, theirs)):
        close_recurring(owner, slack, case)
    bot.tick()
    to_maria = next(m for m in manager.dms() if "A recurring problem" in m.all_text()).all_text()
    to_bo = next(m for m in boss.dms() if "A recurring problem" in m.all_text()).all_text()
    assert "3 cases" in to_maria and secret.ref in to_maria and "in a private channel" in to_maria
    assert "Hush" not in to_maria and "<@UIN>" not in to_maria, "maria is neither in it nor above ines"
    assert "Hush Ltd" in to_bo, "bo is ines's manager"


def test_an_escalation_to_a_public_channel_says_who_and_when_but_not_what(
    agent, private_channel, slack, bot_settings, clock
):
    from slack_standin import SlackEventsClient
    from tests.conftest import SIGNING_SECRET

    escalating = RunningBot(replace(bot_settings, escalation_channel="CLEADS"), clock)
    try:
        client = SlackEventsClient(escalating.url, SIGNING_SECRET, team_id="T1", api=slack)
        alex = Person("UAGENT", client, slack, escalating)
        case = alex.open_case("Hush Ltd: refund for the CEO", channel=SECRET)
        alex.command(f"promise {case.ref} in 20 minutes: wire the money back")
        clock.advance(minutes=21)
        escalating.tick()
        (posted,) = [m for m in slack.messages("CLEADS") if case.ref in m.all_text()]
        text = posted.all_text()
        assert "<@UAGENT>" in text and "private channel" in text
        for secret in ("Hush", "CEO", "wire the money"):
            assert secret not in text and secret not in str(posted.blocks)
        buttons = {e["action_id"] for b in posted.blocks if b["type"] == "actions" for e in b["elements"]}
        assert buttons == {ActionId.ESCALATION_ACKNOWLEDGE.value, ActionId.ESCALATION_TAKE_OVER.value}
        # In its own channel's thread the escalation is whole.
        in_thread = [m for m in slack.thread(SECRET, case.card_ts) if "wire the money" in m.all_text()]
        assert in_thread
    finally:
        escalating.stop()


def test_the_owner_and_their_managers_still_get_everything_by_dm(
    agent, manager, private_channel, slack, bot, clock
):
    agent.names_manager("UMGR")
    case = agent.open_case("Hush Ltd: refund", channel=SECRET)
    agent.command(f"promise {case.ref} in 20 minutes: wire the money back")
    clock.advance(minutes=21)
    bot.tick()
    assert any("wire the money back" in m.all_text() for m in agent.dms())
    assert any("wire the money back" in m.all_text() for m in manager.dms())
    home = manager.open_home()
    assert home is not None and case.ref in str(home.view)
    with bot.db.transaction() as session:
        assert session.execute(select(Case.state)).scalar_one() is CaseState.OPEN
        assert [p.state for p in session.execute(select(Promise)).scalars()] == [PromiseState.OPEN]
