"""Customer history: a case opened for a customer who had cases before shows the latest of them
on its card (and in `/case show`), with how their promises ended."""

from __future__ import annotations

import re
from datetime import timedelta

from handlers.ids import ActionId, BlockId, CallbackId
from slack_standin import SlackEventsClient
from tests.conftest import SIGNING_SECRET, START, Person
from tests.test_find import open_with_numbers

HEADER = "Earlier cases for this customer"


def card_text(slack, case) -> str:
    return slack.message(case.channel, case.card_ts).all_text()


def latest_card(slack, channel: str = "C1") -> str:
    return [m for m in slack.messages(channel) if m.thread_ts is None][-1].all_text()


def earlier_lines(text: str) -> list[str]:
    """The lines of the history block, in the order shown."""
    after = text.split(HEADER, 1)[1] if HEADER in text else ""
    return [line for line in after.splitlines() if line.startswith("• *CASE-")]


def refs(lines: list[str]) -> list[str]:
    return [re.search(r"CASE-\d+", line).group(0) for line in lines]


def test_a_third_case_for_acme_shows_the_two_earlier_ones_and_their_promises(agent, slack, clock):
    first = agent.open_case("Acme Corp: parcel late")
    assert HEADER not in card_text(slack, first)
    agent.command(f"promise {first.ref} in 1 hour: send a new label")
    agent.command(f"done {first.ref}")  # kept, before its reminder
    agent.command(f"promise {first.ref} in 1 hour: confirm the delivery")
    clock.advance(timedelta(hours=2))
    agent.command(f"done {first.ref}")  # kept an hour late
    agent.click(slack.message(first.channel, first.card_ts), ActionId.CARD_CLOSE.value)
    agent.submit(
        agent.modal(CallbackId.CLOSE_CASE.value),
        {
            BlockId.RESOLUTION.value: "Courier re-sent it",
            BlockId.RECURRENCE.value: "recurring",
            BlockId.CATEGORY.value: "Late deliveries",
        },
    )
    agent.open_case("Globex: parcel late")
    agent.open_case("Acme Corporation: another company")
    clock.advance(timedelta(days=1))
    second = agent.open_case("  acme   CORP : refund missing")
    agent.command(f"promise {second.ref} in 30 minutes: call back about the refund")
    clock.advance(timedelta(hours=1))  # not kept: missed
    clock.advance(timedelta(days=1))

    third = agent.open_case("ACME corp: parcel late again")
    lines = earlier_lines(card_text(slack, third))
    assert refs(lines) == [second.ref, first.ref], card_text(slack, third)
    assert "refund missing" in lines[0] and "· open ·" in lines[0] and "promises: 1 missed" in lines[0]
    assert "closed (recurring · Late deliveries)" in lines[1]
    assert "promises: 1 kept on time, 1 kept late" in lines[1] and "missed" not in lines[1]
    assert f"opened <!date^{int(START.timestamp())}^" in lines[1]

    # The card keeps it when it is redrawn, and /case show says it too.
    agent.reply(third, "Customer called: the parcel is late again")
    assert "*Contacts*\n1" in card_text(slack, third)
    assert refs(earlier_lines(card_text(slack, third))) == [second.ref, first.ref]
    shown = agent.command(f"show {third.ref}").text
    assert refs(earlier_lines(shown)) == [second.ref, first.ref] and "1 kept late" in shown


def test_the_latest_three_are_shown_and_older_ones_are_pointed_to(agent, slack):
    opened = [agent.open_case(f"Acme Corp: parcel {n}").ref for n in range(4)]
    card = latest_card(slack)
    assert HEADER in card and refs(earlier_lines(card)) == [opened[2], opened[1], opened[0]]
    assert "Older ones" not in card
    agent.open_case("Acme Corp: parcel 4")
    card = latest_card(slack)
    assert refs(earlier_lines(card)) == [opened[3], opened[2], opened[1]] and "Older ones" in card
    assert "no promises" in card


def test_an_account_number_decides_before_the_name(agent, slack):
    same_account = open_with_numbers(agent, "John Smith", "Broken kettle", account="ACC-1")
    open_with_numbers(agent, "John Smith", "Another John Smith", account="ACC-2")
    renamed = open_with_numbers(agent, "J. Smith Ltd", "Invoice wrong", account="acc-1")
    no_account = agent.open_case("john smith: called without his account number").ref
    open_with_numbers(agent, "Jane Doe", "Unrelated", account="ACC-3")

    open_with_numbers(agent, "John Smith", "Kettle broken again", account="ACC-1")
    lines = earlier_lines(latest_card(slack))
    # The other John Smith (ACC-2) is someone else; "J. Smith Ltd" shares the account; the case
    # without an account number is matched by the name.
    assert refs(lines) == [no_account, renamed, same_account]

    open_with_numbers(agent, "Jane Doe", "Another one", account="ACC-4")
    assert HEADER not in latest_card(slack), "same name, different account: another customer"


def test_other_workspaces_cases_are_never_earlier_cases(agent, slack, bot):
    theirs = SlackEventsClient(bot.url, SIGNING_SECRET, team_id="T2", api=slack)
    slack.set_user("UBEA", name="bea", tz="Europe/Paris")
    bea = Person("UBEA", theirs, slack, bot)
    bea.open_case("Acme Corp: their parcel", channel="CT2")

    ours = agent.open_case("Acme Corp: our parcel")
    assert HEADER not in card_text(slack, ours)
    again = agent.open_case("Acme Corp: our second parcel")
    assert refs(earlier_lines(card_text(slack, again))) == [ours.ref]

    theirs_again = bea.open_case("Acme Corp: their second parcel", channel="CT2")
    lines = earlier_lines(card_text(slack, theirs_again))
    assert len(lines) == 1 and "their parcel" in lines[0]
