"""Recurring problems: three cases of one category closed as recurring within 14 days are flagged
to the owners' managers, once, with the cases listed. Through signed `/case close` commands,
the Close form, and the dispatcher sending to the Slack stand-in."""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import func, select

from bot import cases, recurring
from handlers.ids import BlockId, CallbackId
from storage.db import Database
from storage.models import Case, Recurrence, RecurringFlag
from tests.conftest import seeding_policy


def close_recurring(person, case, category):
    """Close through the card's Close form, as recurring in `category`."""
    person.click(case_card(person, case), "case.close")
    form = person.modal(CallbackId.CLOSE_CASE.value)
    reply = person.submit(
        form,
        {
            BlockId.RESOLUTION.value: "Re-sent the parcel",
            BlockId.RECURRENCE.value: "recurring",
            BlockId.CATEGORY.value: category,
        },
    )
    assert not (reply.json or {}).get("errors"), reply.body


def case_card(person, case):
    return person.slack.message(case.channel, case.card_ts)


def flags_to(person):
    return [m for m in person.dms() if "A recurring problem" in m.all_text()]


def flag_count(bot):
    with bot.db.transaction() as session:
        return session.execute(select(func.count()).select_from(RecurringFlag)).scalar_one()


def test_third_recurring_case_in_a_category_is_flagged_to_the_managers_once(
    agent, manager, other, person, slack, bot, clock
):
    sam = person("USAM", "sam")
    agent.names_manager("UMGR")
    sam.names_manager("UMGR")
    first = agent.open_case("Acme: parcel late")
    second = sam.open_case("Globex: parcel late again")
    third = agent.open_case("Initech: no parcel")
    close_recurring(agent, first, "Late delivery")
    clock.advance(days=3)
    # The same category however it is written.
    close_recurring(sam, second, "late  DELIVERY")
    bot.tick()
    assert flags_to(manager) == []
    clock.advance(days=3)
    close_recurring(agent, third, "Late delivery")
    bot.tick()

    (flag,) = flags_to(manager)
    text = flag.all_text()
    assert "Late delivery" in text and "3 cases" in text
    for case in (first, second, third):
        assert case.ref in text
    assert "<@USAM>" in text and "<@UAGENT>" in text
    # Told once: a fourth case in the window, and the dispatcher again, add nothing.
    fourth = sam.open_case("Hooli: parcel late")
    close_recurring(sam, fourth, "late delivery")
    bot.tick()
    assert len(flags_to(manager)) == 1 and flag_count(bot) == 1
    assert flags_to(other) == [] and flags_to(agent) == []


def test_single_events_other_categories_and_old_cases_do_not_count(agent, manager, bot, clock):
    agent.names_manager("UMGR")
    old = agent.open_case("Acme: parcel late")
    close_recurring(agent, old, "Late delivery")
    clock.advance(days=15)  # out of the 14-day window by the time the others close
    single = agent.open_case("Globex: parcel late")
    agent.command(f"close {single.ref} courier lost it once")
    other_kind = agent.open_case("Initech: wrong invoice")
    close_recurring(agent, other_kind, "Billing")
    recent = agent.open_case("Umbrella: parcel late")
    close_recurring(agent, recent, "Late delivery")
    bot.tick()
    assert flags_to(manager) == [] and flag_count(bot) == 0
    # One more recent one makes only two in the window: still nothing.
    another = agent.open_case("Hooli: parcel late")
    close_recurring(agent, another, "late delivery")
    bot.tick()
    assert flags_to(manager) == []
    # A third recent one: flagged, listing only the three in the window.
    third = agent.open_case("Vandelay: parcel late")
    close_recurring(agent, third, "Late delivery")
    bot.tick()
    (flag,) = flags_to(manager)
    assert old.ref not in flag.all_text() and recent.ref in flag.all_text()


def test_flagged_again_only_after_the_window(agent, manager, bot, clock):
    agent.names_manager("UMGR")
    for n in range(3):
        close_recurring(agent, agent.open_case(f"Customer {n}: parcel late"), "Late delivery")
    bot.tick()
    assert len(flags_to(manager)) == 1
    clock.advance(days=13)
    close_recurring(agent, agent.open_case("Customer 4: parcel late"), "Late delivery")
    bot.tick()
    assert len(flags_to(manager)) == 1
    clock.advance(days=2)  # 15 days after the flag, and three more within 14 days
    for n in range(5, 7):
        close_recurring(agent, agent.open_case(f"Customer {n}: parcel late"), "Late delivery")
    bot.tick()
    assert len(flags_to(manager)) == 2 and flag_count(bot) == 2


def test_categories_in_any_script_are_one_category_whatever_their_case(agent, manager, bot):
    agent.names_manager("UMGR")
    for n, written in enumerate(["Überweisung fehlt", "ÜBERWEISUNG  FEHLT", "überweisung fehlt"]):
        close_recurring(agent, agent.open_case(f"Kunde {n}: Geld fehlt"), written)
    bot.tick()
    (flag,) = flags_to(manager)
    assert "Überweisung fehlt" in flag.all_text() and "3 cases" in flag.all_text()


def test_without_managers_the_case_channel_hears_it(agent, slack, bot):
    for n in range(3):
        close_recurring(agent, agent.open_case(f"Customer {n}: login fails"), "Login")
    bot.tick()
    posts = [m for m in slack.messages("C1") if m.thread_ts is None and "A recurring problem" in m.all_text()]
    assert len(posts) == 1 and "Login" in posts[0].all_text()


def test_managers_of_each_owner_hear_it(agent, manager, other, person, bot):
    sam = person("USAM", "sam")
    agent.names_manager("UMGR")
    sam.names_manager("UOTHER")
    close_recurring(agent, agent.open_case("A: refund slow"), "Refunds")
    close_recurring(sam, sam.open_case("B: refund slow"), "Refunds")
    close_recurring(agent, agent.open_case("C: refund slow"), "Refunds")
    bot.tick()
    assert len(flags_to(manager)) == 1 and len(flags_to(other)) == 1


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="two processes closing at once: needs PostgreSQL (scripts/with-postgres sets TEST_DATABASE_URL)",
)
def test_two_closings_at_once_flag_the_category_once(database_url, clock):
    """The third and fourth case closed at the same moment by two processes (two engines, as two
    web processes would have): each sees the other's closing only after its own, and without the
    per-category lock both would flag it."""
    setup = Database(database_url)
    setup.migrate()
    now = clock.now()
    with setup.transaction() as session:
        ids = []
        for n in range(4):
            case, _ = cases.open_case(
                session,
                team_id="T1",
                channel_id="C1",
                owner_id="UAGENT",
                customer=f"C{n}",
                summary="late",
                now=now,
            )
            ids.append(case.id)
    for case_id in ids[:2]:
        with setup.transaction() as session:
            case = session.get(Case, case_id)
            cases.close_case(
                session,
                case=case,
                actor_id="UAGENT",
                note="",
                now=now,
                policy=seeding_policy(),
                recurrence=Recurrence.RECURRING,
                category="Late delivery",
            )
            assert recurring.check(session, case, now, seeding_policy()) == []
    both_closed = threading.Barrier(2, timeout=20)
    keys: list[list[str]] = []

    def close(case_id: int) -> None:
        db = Database(database_url)
        try:
            with db.transaction() as session:
                case = session.get(Case, case_id)
                cases.close_case(
                    session,
                    case=case,
                    actor_id="UAGENT",
                    note="",
                    now=now,
                    policy=seeding_policy(),
                    recurrence=Recurrence.RECURRING,
                    category="late delivery",
                )
                session.flush()
                both_closed.wait()
                keys.append(recurring.check(session, case, now, seeding_policy()))
        finally:
            db.dispose()

    threads = [threading.Thread(target=close, args=(case_id,)) for case_id in ids[2:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(len(k) for k in keys) == [0, 1]
    with setup.transaction() as session:
        (flag,) = session.execute(select(RecurringFlag)).scalars().all()
        assert len(flag.case_ids) in (3, 4)
    setup.dispose()
