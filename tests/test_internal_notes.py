"""Internal notes: a reply in a case thread that starts `note:` stays on the case, but it is not a
contact with the customer: not on the card's count, not the escalation's "last contact", not a
first contact in reports. `/case show` and the export list notes apart."""

import json

from sqlalchemy import select

from storage.models import Contact, ContactKind
from tests.test_export import export


def card_text(slack, case):
    return slack.message(case.channel, case.card_ts).all_text()


def test_a_note_is_kept_but_not_counted_as_a_contact(agent, manager, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme: refund")
    agent.reply(case, "Called the customer: the bank has the refund")
    agent.reply(case, "note: the customer is upset, be careful with the tone")
    agent.reply(case, "Note : promise them nothing before the bank answers")
    assert "*Contacts*\n1" in card_text(slack, case)
    with bot.db.transaction() as session:
        kinds = [
            (c.kind, c.text[:12]) for c in session.execute(select(Contact).order_by(Contact.id)).scalars()
        ]
    assert kinds == [
        (ContactKind.CONTACT, "Called the c"),
        (ContactKind.NOTE, "note: the cu"),
        (ContactKind.NOTE, "Note : promi"),
    ]
    # A note that says "promise" makes none.
    assert "Promises*\nNone yet." in agent.command(f"show {case.ref}").text
    # The thread shows which replies were counted: ✅ for the contact, 📝 for the notes.
    reactions = sorted(r.name for r in slack.reactions)
    assert reactions == ["memo", "memo", "white_check_mark"]

    shown = agent.command(f"show {case.ref}").text
    assert "*Contacts (1)*" in shown and "*Internal notes (2)* · not contacts with the customer" in shown

    # The escalation's "last contact" is the customer contact, not the later note.
    agent.command(f"promise {case.ref} in 30 minutes: call back")
    assert "*Contacts*\n1" in card_text(slack, case)  # redrawn since, still one contact
    clock.advance(minutes=31)
    bot.tick()
    (escalation,) = manager.dms()
    assert "Last contact" in escalation.all_text() and "the bank has the refund" in escalation.all_text()
    assert "be careful with the tone" not in escalation.all_text()


def test_a_case_with_only_notes_has_no_first_contact_yet(agent, slack, bot, database_url, tmp_path):
    case = agent.open_case("Acme: refund")
    agent.reply(case, "note: waiting for the customer's account number from sales")
    report = agent.command("report 1d").text
    assert "1 without a contact yet" in report
    agent.reply(case, "Emailed the customer for the account number")
    assert "1 without a contact yet" not in agent.command("report 1d").text

    document = json.loads(export(database_url, tmp_path, case.ref).stdout)
    assert [c["text"] for c in document["contacts"]] == ["Emailed the customer for the account number"]
    assert [n["text"] for n in document["notes"]] == [
        "note: waiting for the customer's account number from sales"
    ]
