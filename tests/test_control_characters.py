"""Text with control characters in it (a NUL, an escape sequence pasted from a terminal, a bell):
a contact is a record of what was said, so it is kept, cleaned, and the cleaning is logged; a
field someone types into a command or a form is refused with a message saying so, under the field
it is about, and nothing changes."""

from __future__ import annotations

import logging

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.validation import scrub
from handlers.ids import ActionId, BlockId, CallbackId
from storage.models import AuditEntry, Case, Contact, EventState, InboundEvent


def card_of(slack, case):
    return slack.message(case.channel, case.card_ts)


def contacts_of(bot) -> list[str]:
    with bot.db.transaction() as session:
        return [c.text for c in session.execute(select(Contact).order_by(Contact.id)).scalars()]


def test_a_reply_with_control_characters_is_logged_once_cleaned_and_the_cleaning_is_logged(
    agent, slack, bot, caplog
):
    case = agent.open_case("Acme: refund")
    caplog.set_level(logging.WARNING)
    agent.reply(case, "Customer rang\x00 back:\x1b[31m still\x07 no refund\x0bcalled again")
    bot.tick()

    assert contacts_of(bot) == ["Customer rang back:[31m still no refund\ncalled again"]
    # Handled on its first delivery: no failure, nothing left for the re-drive to give up on.
    with bot.db.transaction() as session:
        events = session.execute(select(InboundEvent)).scalars().all()
        assert [(e.state, e.attempts) for e in events] == [(EventState.PROCESSED, 1)]
        logged = session.execute(select(AuditEntry).where(AuditEntry.action == "contact.logged")).scalar_one()
        assert logged.detail["control_characters_removed"] == 4
    assert [r.getMessage() for r in caplog.records if "event." in r.getMessage()] == []
    cleaned = [r.getMessage() for r in caplog.records if r.getMessage().startswith("contact.cleaned")]
    ts = agent.client.last_ts
    assert cleaned == [f"contact.cleaned case_id={case.case_id} ts={ts} control_characters=4"]
    assert len([r for r in slack.reactions if r.timestamp == agent.client.last_ts]) == 1
    assert "Customer rang back" in agent.command(f"show {case.ref}").text


def test_an_edit_with_control_characters_goes_through_the_same_cleaning(agent, signer, bot):
    case = agent.open_case("Acme: refund")
    agent.reply(case, "Parcel lost")
    signer.edit_reply(
        channel="C1", ts=signer.last_ts, thread_ts=case.card_ts, new_text="Parcel\x00 found\x1b"
    )
    bot.settle()
    assert contacts_of(bot) == ["Parcel found"]
    with bot.db.transaction() as session:
        assert {e.state for e in session.execute(select(InboundEvent)).scalars()} == {EventState.PROCESSED}


def test_a_promise_in_a_reply_with_control_characters_is_recorded_cleaned(agent, bot):
    case = agent.open_case("Acme: refund")
    agent.reply(case, "promise in 2 hours: call\x07 back")
    shown = agent.command(f"show {case.ref}").text
    assert "“call back”" in shown, shown
    assert contacts_of(bot) == ["promise in 2 hours: call back"]


def test_the_log_contact_form_keeps_the_contact_cleaned(agent, slack, bot):
    case = agent.open_case("Acme: refund")
    agent.click(card_of(slack, case), ActionId.CARD_LOG_CONTACT.value)
    agent.submit(
        agent.modal(CallbackId.LOG_CONTACT.value),
        {BlockId.CONTACT.value: "Customer rang:\x00 still waiting", BlockId.VIA.value: "phone"},
    )
    assert contacts_of(bot) == ["Customer rang: still waiting"]
    notes = [m for m in slack.thread("C1", case.card_ts) if "Customer rang" in m.all_text()]
    assert len(notes) == 1 and "\x00" not in notes[0].all_text()


def test_the_open_case_form_shows_a_control_character_under_its_field_and_opens_nothing(agent, bot):
    agent.command("open")
    reply = agent.submit(
        agent.modal(CallbackId.OPEN_CASE.value),
        {
            BlockId.CUSTOMER.value: "Ac\x1bme",
            BlockId.SUMMARY.value: "Refund",
            BlockId.ORDER.value: "SO-1\x00",
        },
        check_inputs=False,
    )
    assert reply.json["response_action"] == "errors"
    refusal = "The customer contains control characters; please type it again as plain text."
    assert reply.json["errors"] == {BlockId.CUSTOMER.value: refusal}
    with bot.db.transaction() as session:
        assert session.execute(select(Case)).first() is None


# ---- the cleaning itself ---------------------------------------------------------------------

CONTROL = {chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]}
LINE_BREAKING = {"\x0b", "\x0c", "\x85"}


@given(st.text(st.characters(exclude_categories=("Cs",))))
def test_scrub_leaves_out_only_control_characters_and_counts_them(text):
    cleaned, removed = scrub(text)
    assert not CONTROL & set(cleaned)
    assert removed == sum(ch in CONTROL for ch in text)
    # Everything else is kept, in order; the line-breaking controls became line breaks.
    kept = (ch for ch in text if ch not in CONTROL - LINE_BREAKING)
    assert cleaned == "".join("\n" if ch in LINE_BREAKING else ch for ch in kept)
