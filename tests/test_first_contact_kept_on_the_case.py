"""When the customer was first reached is kept on the case as contacts are logged (reports and
the dashboard read it there): the earliest contact, never an internal note, whichever way it
was logged (a thread reply, several at once, the card's button)."""

from __future__ import annotations

from datetime import timedelta

from storage.models import Case


def first_contact_at(bot, case_id: int):  # type: ignore[no-untyped-def]
    with bot.db.transaction() as session:
        return session.get(Case, case_id).first_contact_at  # type: ignore[union-attr]


def test_the_first_contact_is_the_earliest_reply_and_never_a_note(agent, bot, clock):
    case = agent.open_case("Acme: refund missing")
    assert first_contact_at(bot, case.case_id) is None
    clock.advance(minutes=5)
    agent.reply(case, "note: customer unreachable, left a voicemail")
    assert first_contact_at(bot, case.case_id) is None
    clock.advance(minutes=20)
    agent.reply(case, "Reached Dana, refund is on its way")
    reached = clock.now()
    clock.advance(minutes=30)
    agent.reply(case, "Dana called back to say thanks")
    assert first_contact_at(bot, case.case_id) == reached


def test_a_burst_of_replies_sets_it_once_to_the_earliest(agent, bot, clock):
    case = agent.open_case("Globex: widget broken")
    for minute in range(5):
        clock.advance(minutes=1)
        agent.client.thread_reply(
            f"update {minute}", thread_ts=case.card_ts, user="UAGENT", channel=case.channel
        )
    bot.settle()
    first = first_contact_at(bot, case.case_id)
    assert first is not None and clock.now() - first == timedelta(minutes=4)
